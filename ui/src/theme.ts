// Chart colours from the Airflow UI's own theme (its Chakra semantic tokens), re-read when the
// user switches between light and dark mode (the UI toggles the "dark" class on <html>).
import { useEffect, useState } from "react";

export type Palette = {
  fg: string;
  muted: string;
  grid: string;
  brand: string;
  success: string;
  failed: string;
  other: string;
  agent: string;
};

const read = (name: string, fallback: string): string => {
  const value = getComputedStyle(document.documentElement).getPropertyValue(`--chakra-colors-${name}`).trim();
  return value || fallback;
};

const palette = (): Palette => ({
  fg: read("fg", "#18181b"),
  muted: read("fg-muted", "#52525b"),
  grid: read("border", "#e4e4e7"),
  brand: read("brand-solid", "#0369a1"),
  success: read("success-solid", "#16a34a"),
  failed: read("failed-solid", "#dc2626"),
  other: read("skipped-solid", "#db2777"),
  agent: read("cyan-solid", "#0891b2"),
});

export const usePalette = (): Palette => {
  const [colors, setColors] = useState(palette);
  useEffect(() => {
    const observer = new MutationObserver(() => setColors(palette()));
    observer.observe(document.documentElement, { attributeFilter: ["class", "style", "data-theme"] });
    return () => observer.disconnect();
  }, []);
  return colors;
};
