"use client";
import { loadStripe } from "@stripe/stripe-js";

export function CheckoutButton({ priceId }: { priceId: string }) {
  const onClick = async () => {
    const stripe = await loadStripe(process.env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY as string);
    await stripe?.redirectToCheckout({ lineItems: [{ price: priceId, quantity: 1 }], mode: "subscription" });
  };
  return <button onClick={onClick}>Upgrade</button>;
}
