/** Saves text as a download the way a file link does (for API answers that need the bearer token, so no plain link). */
export function saveFile(text: string, type: string, filename: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = filename;
  a.click();
  URL.revokeObjectURL(a.href);
}
