export function isYes(text: string): boolean {
  return text.trim().toLowerCase() === 'yes';
}
