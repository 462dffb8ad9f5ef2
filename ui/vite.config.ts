// The bundle Airflow's UI loads for every Bluelabel view (AIP-68 react_apps): one UMD file
// that sets globalThis.AirflowPlugin. React, React Router, Chakra and Emotion are NOT bundled:
// the Airflow UI shares its own instances on globalThis (React, ReactDOM, ReactJSXRuntime,
// ReactRouterDOM, ChakraUI, EmotionReact), so the views render inside its theme, colour mode
// and router, and look like the rest of Airflow.
import { resolve } from "node:path";
import { defineConfig } from "vite";

const hostGlobals: Record<string, string> = {
  react: "React",
  "react-dom": "ReactDOM",
  "react/jsx-runtime": "ReactJSXRuntime",
  "react-router-dom": "ReactRouterDOM",
  "@chakra-ui/react": "ChakraUI",
  "@emotion/react": "EmotionReact",
};

export default defineConfig({
  esbuild: { jsx: "automatic" },
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: {
    outDir: resolve(__dirname, "../plugins/bluelabel/web/static"),
    emptyOutDir: false,
    sourcemap: false,
    lib: {
      entry: resolve(__dirname, "src/main.tsx"),
      formats: ["umd"],
      name: "AirflowPlugin",
      fileName: () => "bluelabel.js",
    },
    rollupOptions: {
      external: Object.keys(hostGlobals),
      output: { globals: hostGlobals },
    },
  },
});
