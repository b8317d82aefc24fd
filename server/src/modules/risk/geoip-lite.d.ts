// geoip-lite ships no types; the one call Pairly makes (geo.ts).
declare module 'geoip-lite' {
  export function lookup(ip: string): { country: string; ll: [number, number] } | null;
}
