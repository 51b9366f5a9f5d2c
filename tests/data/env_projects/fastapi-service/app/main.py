from fastapi import FastAPI

from app.clients import exchange_rates

app = FastAPI()


@app.get("/rates")
def rates() -> dict:
    return exchange_rates()
