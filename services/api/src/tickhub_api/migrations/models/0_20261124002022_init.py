"""The account pool's first schema: the ``accounts`` table (and aerich's own).

Beyond what aerich generates from the model: CHECK constraints on the type and the
priority, and names unique regardless of case (``sim-a`` and ``SIM-A`` would be two
sources that an operator cannot tell apart).
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "accounts" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(64) NOT NULL UNIQUE,
    "gateway_type" VARCHAR(8) NOT NULL,
    "priority" INT NOT NULL,
    "is_enabled" BOOL NOT NULL,
    "canary" VARCHAR(80) NOT NULL,
    "contracts" JSONB NOT NULL,
    "settings" JSONB NOT NULL,
    "password_encrypted" TEXT,
    "auth_code_encrypted" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON COLUMN "accounts"."gateway_type" IS 'ctp or sim';
COMMENT ON COLUMN "accounts"."priority" IS 'Lower number = preferred';
COMMENT ON COLUMN "accounts"."canary" IS 'vt_symbol proving the feed is alive';
COMMENT ON COLUMN "accounts"."contracts" IS 'vt_symbols to subscribe';
COMMENT ON COLUMN "accounts"."settings" IS 'Non-secret settings of the type';
COMMENT ON TABLE "accounts" IS 'One market-data account, table ``accounts``.';
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_gateway_type_check"
    CHECK ("gateway_type" IN ('ctp', 'sim'));
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_priority_check"
    CHECK ("priority" BETWEEN 0 AND 1000);
CREATE UNIQUE INDEX IF NOT EXISTS "accounts_name_ci" ON "accounts" (lower("name"));
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztWP9v4jYU/1es/ESnFrWs16vYF4m23K6nAlObbacbU2ISAxaJnbOdUnTr/vY9O3EDgX"
    "CA2h2a+gMC3jc/fz72s5+/ODEPSSTrHSwmRF1hhVtBwFOmnCb64jAcE/hRbXSIHJwkhYkW"
    "KDyIjBfOjIwQD6QSONBhhziSBEQhkYGgiaKcaeseIyg2AxyFMALKvQ+RiYd834bz/bqOGP"
    "IAQlI22ta5z/rM9xNBuaBq5vtNFPEpEYil8QC+fkKJIEMiBAl/QGpMIF8a8XvQEDaiME5C"
    "g4k0moAzRgJFwj6TPBUBQVOqxkalQ0plY9YUJbL5pBCIhgd1yEoSpWAGkBUa8yg0UfuMcX"
    "YkSSCIQtYA8SGYj7AiUzzz1Cwh4FJrBhGWsukryGicDjw7ybpIIyLrlyq55GxIR36fcYGs"
    "9T8V5nc0zs0PEZbow12vC0m6ep4qQQn4TrkIEWbwSdW4zwKgHEX0niDOohmizEzQ97/zCA"
    "vELAFgIMuAR2nMJKq9I4LBlBSfECYP+6wJS2ZF7saT+weG5JTRzynxFB8RiC2A6j//AjFl"
    "IXkg0v5NJt6QkihcWLM01AGM3ACmZddMvTOGev0MvCy1wjiZqTFnT9Y0W+AjwogA5HV4JV"
    "K9dFkaRfkqt6s5y7QwyVKc8wnJEKeR3gDaO0ugkDme1+253l3b9TxnaXNYj7kln4tgCeqN"
    "RfU207Mf6RSOGienb0/Pvz87PQcTk+aT5O1jNnQBTOZo4Om6zqPRwx7KLAzGBajmewnWyz"
    "EWq3G19iVkIeUyshbH/YU2xg9eBDVAjeHv2ekaHH9v3V6+b93Wzk4P9IAcCl9WEbu5pmFU"
    "GuoC2vnNvQ3EZb/ngdoKCqyLsr072I6uJFCKJI3LJXwT0M83wPy8EvLzMuL2CNiiTsy7fL"
    "1aPBfQJ1uifFNxnm2I+bPUkLlCLOE80NNfUZAvOI8IZhVFecGxBPcAPF8Kb1tWXqCKrEHu"
    "ote70ZFjKT9HRnDtltbyb52L9m3txCxxMKKKrIY8wAyLFeu6uooUHntdP+6VJ2fxgEewqP"
    "k9AJ3d0AgJEZUI68vIToXleJPKclxdWo7LtQWGM/dduUyCvlhVkDDvVOIhpIFCf8N1S75Y"
    "mXF+HKYs0FCjQUojuHjKuh7vZ2dXluBCy5FMB1o72JCZNUxo5BZ2iGWg1ml9LJNzedO7MD"
    "hyqUbCRDEBLkpM2Sv2NkTN++wHT3rYrXnqrm409Jayt4n948s2IkWTscycSx6qDvCV3jvV"
    "vPyUeOGS9xwni9v+6K7nIZ7lmpte9xdrXiZnkQfdA3q6BdyNiAr3Vya2ZwI2sMbGw2qZgC"
    "vQKBqTigNnwbNcyXLXuv2xP/eAzZs2mGDYY9EsXyXrqLnutO/cVufXBX6uWm5baxoL3Fhp"
    "7axUxZ6CoD+u3fdI/0Wfet12ubA92bmfHJ0T7AbuMT71cDjX11qpRW2B9TQJd2R90fOV9X"
    "1h3WI0R7vJXj9xDSdz7zFaMMDBZIrhIFvS8Aavsl1WxY24LIFOYGQ40+DqNPPX3xYRNBg7"
    "K96Fc83h2sfgwuZrT8HVPL8+B+7Xc+A9EVKntIRsdaM557LPneaOz4KNN2826CTBqrKVNL"
    "rSTQs21RYI5+b/Q3RPjjfp08GqEl2jW+7UCVtxiK7v03OX/777+zYX12dr5b7pYfb4L5ZP"
    "V3k="
)
