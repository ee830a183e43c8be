export function uniqueId(prefix: string): string {
  return `${prefix}1`;
}
