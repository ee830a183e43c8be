export function frame(text: string): string {
  return JSON.stringify({ text });
}
