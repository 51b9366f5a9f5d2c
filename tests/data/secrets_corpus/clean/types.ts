// Types for the API client.
export type Token = {
  access_token: string;
  token_type?: string;
};

export type NewPassword = {
  token: string;
  new_password: string;
};

export type UpdatePassword = {
  current_password: string;
  new_password: string;
};

export type loginAccessTokenData = {
  formData: Body_login_login_access_token;
};

export type loginAccessTokenErrors = {
  422: HTTPValidationError;
};

export type loginAccessTokenError = loginAccessTokenErrors[keyof loginAccessTokenErrors];

export type loginAccessTokenResponses = {
  200: Token;
};

export type loginAccessTokenResponse = loginAccessTokenResponses[keyof loginAccessTokenResponses];

export type recoverPasswordData = {
  email: string;
};

export type resetPasswordData = {
  requestBody: NewPassword;
};

export interface Session {
  user: { id: string; email: string };
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  apiKeyPrefix: string;
  hashedApiKey: string;
  createdAt: Date;
}

export const TOKEN_STORAGE_KEY = "access_token";
export const REFRESH_TOKEN_COOKIE = "__Secure-next-auth.session-token";
export const PASSWORD_RESET_PATH = "/reset-password";
export const API_KEY_HEADER = "X-API-Key";

export function isTokenExpired(session: Session): boolean {
  return session.expiresAt * 1000 < Date.now();
}

export const authOptions = {
  secret: process.env.NEXTAUTH_SECRET,
  session: { strategy: "jwt" as const, maxAge: 30 * 24 * 60 * 60 },
  providers: [],
  callbacks: {
    async jwt({ token, account }: { token: Record<string, unknown>; account: { access_token?: string } | null }) {
      if (account) token.accessToken = account.access_token;
      return token;
    },
  },
};

export const stripeConfig = {
  secretKey: process.env.STRIPE_SECRET_KEY ?? "",
  webhookSecret: process.env.STRIPE_WEBHOOK_SECRET!,
  apiVersion: "2024-06-20",
};
