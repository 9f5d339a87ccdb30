// ESLint's recommended rules over the dashboard: its sources run in the browser, build.mjs, the tests and this file
// in Node. No rule is turned off; `npm run lint` (make check runs it).
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["src/**/*.js"],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ["*.js", "*.mjs", "test/**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
];
