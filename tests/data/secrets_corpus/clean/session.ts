// Session helpers: values that span lines without being credentials.
import { cookies } from "next/headers";
import { getToken, refreshAccessToken } from "@/lib/auth/tokens";

export const SESSION_COOKIE =
  process.env.NODE_ENV === "production" ? "__Host-session" : "session";

const tokenHeader =
  "Authorization";

export async function currentToken(req: Request): Promise<string | null> {
  const token =
    req.headers.get(tokenHeader) ??
    cookies().get(SESSION_COOKIE)?.value ??
    null;
  const refreshToken = await getToken(
    "refresh",
    { maxAge: 60 * 60 * 24 },
  );
  const message = "Your session token expired. " +
    "Sign in again to continue.";
  const passwordHint =
    "At least 12 characters, one number and one symbol.";
  if (!token) {
    console.warn(message, passwordHint);
    return refreshToken ? refreshAccessToken(refreshToken) : null;
  }
  return token;
}

export const apiKeyLabel = t("settings.apiKey") +
  " (" + t("settings.hidden") + ")";
