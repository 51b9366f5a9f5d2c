import { apiBase } from "./api.js";

const app = document.getElementById("app");
app.textContent = `Acme Dashboard (${import.meta.env.MODE}) talks to ${apiBase}`;
