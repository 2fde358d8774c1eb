// The module graph has loaded and runs (the test reads these marks with the Performance API).
performance.mark("daxlease:start");
import { render } from "preact";
import { App } from "./app.js";
import "./style.css";

render(<App />, document.getElementById("app")!);
// The first frame with the page drawn (the test reads it with the Performance API).
requestAnimationFrame(() => performance.mark("daxlease:first-frame"));
