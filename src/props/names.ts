/** The five properties of PROPOSALS.md, by the names the contract gives them. */
export const PROPERTIES = ["no-corruption", "user-told", "pinner-visible", "recoverable", "no-innocent-hang"] as const;
export type Property = (typeof PROPERTIES)[number];
