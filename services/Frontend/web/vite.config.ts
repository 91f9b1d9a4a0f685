import { defineConfig } from "vite";

// The build goes into the frontend service's wwwroot, which serves it (services/Frontend/FrontendHost.cs).
// `npm run dev` serves the app with hot reload and sends /api, /hubs and /settings.json to a frontend running on port 5100.
export default defineConfig({
  build: {
    outDir: "../wwwroot",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:5100",
      "/settings.json": "http://127.0.0.1:5100",
      "/hubs": { target: "ws://127.0.0.1:5100", ws: true },
    },
  },
});
