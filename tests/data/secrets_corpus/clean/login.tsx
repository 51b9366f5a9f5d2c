import { useState } from "react";
import { useForm } from "react-hook-form";
import type { NextPageWithLayout } from "../types/next";
import { Input, Button, Field } from "@/components/ui";
import { useAuth } from "@/hooks/useAuth";
import { loginAccessToken, type Body_login_login_access_token } from "@/client";

type LoginForm = Body_login_login_access_token;

const PASSWORD_MIN_LENGTH = 8;
const passwordRules = {
  required: "Password is required",
  minLength: { value: PASSWORD_MIN_LENGTH, message: "Password must be at least 8 characters" },
};

export const ResetPasswordPage: NextPageWithLayout = () => {
  const [isPasswordVisible, setIsPasswordVisible] = useState(false);
  const [resetToken, setResetToken] = useState<string | null>(null);
  const { register, handleSubmit, formState } = useForm<LoginForm>();
  const { login, error, resetError } = useAuth();

  const onSubmit = async (data: LoginForm) => {
    const response = await loginAccessToken({ formData: data });
    localStorage.setItem("access_token", response.access_token);
    const verificationToken = response.verification_token;
    await fetch("/api/auth/verify", {
      method: "POST",
      body: JSON.stringify({ verificationToken: verificationToken, token: resetToken }),
      headers: { Authorization: `Bearer ${response.access_token}` },
    });
  };

  return (
    <form onSubmit={handleSubmit(onSubmit)}>
      <Field label="Password" invalid={!!formState.errors.password}>
        <Input
          type={isPasswordVisible ? "text" : "password"}
          isPasswordVisible={isPasswordVisible}
          placeholder="Password"
          autoComplete="current-password"
          {...register("password", passwordRules)}
        />
      </Field>
      <Button onClick={() => setIsPasswordVisible(!isPasswordVisible)}>
        {isPasswordVisible ? "Hide password" : "Show password"}
      </Button>
      <input type="hidden" name="csrfToken" value={formState.csrfToken} />
      <Button type="submit" loading={formState.isSubmitting}>Log in</Button>
      {error && <p className="error">{error.message}</p>}
    </form>
  );
};

export function useResetPassword(token: string, newPassword: string) {
  const body = { token, new_password: newPassword };
  const secretName = "STRIPE_SECRET_KEY";
  const tokenKey = "auth.session-token";
  return fetch(`/api/v1/reset-password/?token=${encodeURIComponent(token)}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
}

ResetPasswordPage.getLayout = (page) => <AuthLayout>{page}</AuthLayout>;
export default ResetPasswordPage;
