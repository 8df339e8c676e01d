/** The shells `mc completion` writes scripts for (kept apart so the command file imports nothing heavy). */
export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];
