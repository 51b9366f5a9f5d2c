import axios from "axios";

export async function uploadAvatar(file: File) {
  const body = new FormData();
  body.append("file", file);
  return axios.post(`${import.meta.env["VITE_API_URL"]}/avatar`, body, { timeout: 30_000 });
}
