"""Clients for the services this API calls."""

import aiohttp
import httpx

from app.settings import settings


async def geocode(address: str) -> dict:
    async with httpx.AsyncClient() as client:  # httpx's default 5 s timeout applies
        response = await client.get("https://geo.example/v1", params={"q": address})
        return response.json()


def exchange_rates() -> dict:
    return httpx.get("https://rates.example/latest", timeout=None).json()


async def webhook(payload: dict) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.post("https://hooks.example/in", json=payload) as response:
            return response.status


async def ping() -> int:
    timeout = aiohttp.ClientTimeout(total=settings.request_timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get("https://status.example/ping") as response:
            return response.status
