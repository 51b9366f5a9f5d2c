import { createClient } from "@supabase/supabase-js";
import { api } from "./api/client";

const { VITE_SUPABASE_URL, VITE_SUPABASE_ANON_KEY } = import.meta.env;
export const supabase = createClient(VITE_SUPABASE_URL, VITE_SUPABASE_ANON_KEY);

if (import.meta.env.DEV) {
  console.info("running against", import.meta.env.MODE);
}

export async function loadDashboard() {
  const { data } = await api.get("/dashboard");
  return data;
}
