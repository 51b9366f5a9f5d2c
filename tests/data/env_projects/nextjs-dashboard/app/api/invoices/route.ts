import { NextResponse } from "next/server";

export async function GET(request: Request) {
  const url = new URL(request.url);
  const upstream = await fetch(`${process.env.NEXT_PUBLIC_SITE_URL}/internal/invoices?${url.searchParams}`);
  return NextResponse.json(await upstream.json());
}
