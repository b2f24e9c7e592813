"""The contract universe: its entries, the instrument catalog and its state, the
allocation of universe contracts to accounts; each account's capacity and exclusions.

Beyond what aerich generates from the models: defaults for the accounts' new columns
(so a database with accounts in it upgrades: existing ones get capacity 5000 and no
exclusions), CHECK constraints on the capacity, an instrument's kind and the catalog
state's single row.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "instruments" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "vt_symbol" VARCHAR(80) NOT NULL UNIQUE,
    "symbol" VARCHAR(64) NOT NULL,
    "exchange" VARCHAR(8) NOT NULL,
    "product" VARCHAR(32) NOT NULL,
    "kind" VARCHAR(8) NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "expiry" DATE,
    "listed" DATE,
    "tick_size" DOUBLE PRECISION NOT NULL,
    "multiplier" DOUBLE PRECISION NOT NULL,
    "underlying" VARCHAR(80) NOT NULL,
    "option_type" VARCHAR(4) NOT NULL,
    "strike" DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS "idx_instruments_exchang_f1e0c2" ON "instruments" ("exchange");
CREATE INDEX IF NOT EXISTS "idx_instruments_product_052a47" ON "instruments" ("product");
COMMENT ON COLUMN "instruments"."kind" IS 'future, option, spread or other';
COMMENT ON COLUMN "instruments"."expiry" IS 'Last trading day';
COMMENT ON COLUMN "instruments"."listed" IS 'First trading day';
COMMENT ON COLUMN "instruments"."underlying" IS 'An option''s vt_symbol';
COMMENT ON COLUMN "instruments"."option_type" IS 'call, put or empty';
COMMENT ON TABLE "instruments" IS 'One listed instrument of the catalog.';
        CREATE TABLE IF NOT EXISTS "catalog_state" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "origin" VARCHAR(64) NOT NULL,
    "trading_day" DATE,
    "refreshed_at" TIMESTAMPTZ,
    "instruments" INT NOT NULL
);
COMMENT ON COLUMN "catalog_state"."origin" IS 'A source name, \"file\", or \"\" (none yet)';
COMMENT ON TABLE "catalog_state" IS 'Where the stored catalog came from, and when.';
        CREATE TABLE IF NOT EXISTS "universe_entries" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "text" VARCHAR(80) NOT NULL UNIQUE,
    "kind" VARCHAR(16) NOT NULL,
    "options" BOOL NOT NULL,
    "note" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON COLUMN "universe_entries"."text" IS 'The entry as written';
COMMENT ON COLUMN "universe_entries"."kind" IS 'What the text names (parse_entry)';
COMMENT ON COLUMN "universe_entries"."options" IS 'Its options are wanted too';
COMMENT ON COLUMN "universe_entries"."note" IS 'The desk''s own words';
COMMENT ON TABLE "universe_entries" IS 'One entry of the contract universe.';
        CREATE TABLE IF NOT EXISTS "allocations" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "contracts" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "account_id" INT NOT NULL UNIQUE REFERENCES "accounts" ("id") ON DELETE CASCADE
);
COMMENT ON COLUMN "allocations"."contracts" IS 'vt_symbols it carries';
COMMENT ON TABLE "allocations" IS 'The universe contracts one account carries.';
        ALTER TABLE "accounts" ADD "capacity" INT NOT NULL DEFAULT 5000;
        ALTER TABLE "accounts" ADD "excluded" JSONB NOT NULL DEFAULT '[]'::jsonb;
        ALTER TABLE "accounts" ADD CONSTRAINT "accounts_capacity_check"
    CHECK ("capacity" BETWEEN 1 AND 100000);
        ALTER TABLE "instruments" ADD CONSTRAINT "instruments_kind_check"
    CHECK ("kind" IN ('future', 'option', 'spread', 'other'));
        ALTER TABLE "catalog_state" ADD CONSTRAINT "catalog_state_one_row" CHECK ("id" = 1);
        COMMENT ON COLUMN "accounts"."contracts"
    IS 'Explicit vt_symbols; empty: takes part in the allocation';
        COMMENT ON COLUMN accounts."capacity" IS 'Most contracts it may subscribe, canary included';
COMMENT ON COLUMN accounts."excluded" IS 'Exchanges or products it must not serve';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "allocations";
        ALTER TABLE "accounts" DROP COLUMN "capacity";
        ALTER TABLE "accounts" DROP COLUMN "excluded";
        COMMENT ON COLUMN "accounts"."contracts" IS 'vt_symbols to subscribe';
        DROP TABLE IF EXISTS "instruments";
        DROP TABLE IF EXISTS "catalog_state";
        DROP TABLE IF EXISTS "universe_entries";"""


MODELS_STATE = (
    "eJztXOtz27gR/1cw+nLyjaKxldjn8bWdkR2l544fN7bS3KTqSBAJSRhTAA8AI6tX92/vLv"
    "imKEV0/KBz/hJHwC4A/hZY7Iv8ozGXLvN0u+t50qGGS9E4In80BJ0z+E9Jb4s0qO+nfdhg"
    "6Niz5DShs+10rI2ijoGuCfU0gyaXaUdxP5qo0Z8xEgj+hSnNiCOFJddECkao48hAGOJQpT"
    "jTbRzQlQ6MyMW0Iu9ADEQfF0lGo8waR6MjslDcGCbIeEkMDDilhi3oksypoFOmCKPOjBg+"
    "Z4Qbon3FqKuRcCCSqSX8sby+lJ5dJnT9HrChkVMG7QoW+69/QzMXLrtlOv7p3wwnnHluDn"
    "Du4gC2fWiWvm07FeaDJUQExkNHesFcpMT+0sykSKi5MNg6ZYIpeBgc3qgAsReB50WSisUR"
    "rjQlCZeY4XHZhAYeShC5wwWkbY3h8OKyP7zu9YfDxop0Y46M0KImkBbuDFiqtk8/xSW86e"
    "y9++nd4duDd4dAYpeZtPx0F06dAhMyWngu+o07208NDSksximoyeZYxfYf15cX5eDmmAoY"
    "u9wx5L/E43oF6xjZTWDHDSna6fFIoP3LJBAOIknGAfcMF7qN8/2tUU0IjS9mqJfzsfQ0bu"
    "HoRBQPU7lcNoCOuOEgc61/97Dh4p/dq5NfulfN8+5vO9gjAbxQK1ycnF0eWxSlNlNlR7ED"
    "HFu5pXIKfBdRHFKzKqj30IPnsFxYec6itCLWdvyfx5LZYx4R1DyXwltGR3ODaPqn573rfv"
    "f815x83nf7Pezp2NZlobV5UJBZMgj5dNr/heBP8vnyolcUY0LX/9zANdHAyKGQiyF1sxjF"
    "zenqU6lHynpYSfXlmb6uArcR8YvXgXirTG4yKhAbxtS5WVDlDld6ZEeWqssI21VpXArWl/"
    "CPFckpLJ8Kh5XgH1kN51TdMAMHl3bTEV+UUO7ibRe3pvMrukiu78JuBCTg+ZmxWJx0r0+6"
    "73uNu5ws8tBj17wzL7ZYE8SNFodLiXA9AUQ9OUUBqGDO7KpWTLZVoo2WG0/otrTcYBvY+4"
    "+5JOUlcmItISecfNVm24ora61l1oXWWoaMUF1qsXlUg6VmpMI5zEA0jxxo0kcjw52bWWCl"
    "GV7s7TnTGnh0O0VptPNqwdXQgkuMmFVsT2ZUlYObYypgDIt/cdoINMLt0GNiambw83B3A6"
    "KxMXa4W7TFop6O7cqbX9URfmh4n9vIygF88G4LgA/erQUYu/IAs1tnRsWUVYE4y/NYID/j"
    "Jt5mD6/fwkWAfSXdwCmxXNbjm2H5/uB929kC37edtQBjVx7hG3isKvDG9HXWD41JYAIFo0"
    "jb0oriPEQqIu3t//wb2/6tAHtM/3SwNyrGJe65o/d2t7n2gGottravqJd9rpblMYd1Wjnm"
    "2BRr2ALrSDc89g4/Q6MYQHUBaeLS5TfHfzBwUEAxtOuroJhyvAwUP3D1+DCimzLU/D8l5/"
    "2DJ+kaRyLHVUBzgmyPde5327uPdPA3wXb58fisR3696p2cXp9GkcgkpmU7sQkaeOiFX/W6"
    "ZwWc57BY7ns81O9bA51ne0V6C6QDeCjlLXEFFa6wPFd9L7JGV0SGww+a5FzO5/fownWFqF"
    "WAvsBWY+wdirD6gUFjjc19s6VKzgO/jaO33s9bcfNw7ptq6jtluadGeZob8Dk1yjcFtx88"
    "+HptqF3durhr2N/aFHKN4phDnZB+Nej6CbwRZqOeUYAzjoU6sAgyUXLeIlS4ZDFjYjX4Wo"
    "k7G4TNrRTDsJhjV3JBmtwlezutJIm+4Ga2EgB+jaXWK5YqFZ9yUek+SDhqfBV0iZaBchjB"
    "52yRATydxwZACDfDoDFokKbAbbtkZuc+d8TDRwMjP2IY+RHbOk0FthfhOT3IvbHqKik2UU"
    "zP7lUxUOR9gJqBl4NlzUsEbFNO0oX05LY3Qp7rYaoEtnLVanw11MSOWi0OKDGmSisINpQf"
    "hkQVMthzO8EbvCvjosEWMXGlYDTcaFSeyN6WGU2p0chXHO5Rs0T7yZMLpgCR+Rj+/JX4oI"
    "yYAovsZ2s8TSj3bFEh3D0c5vG5cxPmumE7CObAXh2I6LJLLC4cUpt4zKbhTB8lHYpwd6eN"
    "llyc+x6NCNdg7RF263vcwUQ5Tqm4y0BUUryxzlTLjlCopgQWGMGz9ZKakSaajNxo6BZULX"
    "esCWnoDdMDIeRqhebPJBqam5CM+FQZwkU4V1KdGVcFxAO0SOAPhJHWHvWpY6HM1H02w/lh"
    "IMcLXOaCWSoYooi3Pow1GrHbsAfYmnFaDRbpgecFvSefT3rQA9ZClBLSJOq5vmqHnRZCzY"
    "yBTYAIzqQXV4MiZJo5ihkSE4STRuUJ9ijixMVqhHiftFXgMXAfjH8ixYRPRyAQRWLq/60h"
    "v+bziLyF9RBYVAeLxMpYx/gArNYLqVwrEtCvs4Fw4NTAc30BSIS3jFEfjX4cMuGopW8sPK"
    "EKBUw/MCXgkYy8YUK3BuIITl3J2i2nfK2dqKW9/7y5oxpVTDy8CZ893FUgLvLVOjuKmgRU"
    "kebzGiRC41u0gp7IsjydCbhXEeWzNSbBlpg/iA7JKGIN9wE+folCPpbSY1SsUco5xgLcYx"
    "kGxh8D71itPK0jdXx5eZbzoY5P+4W9/PH8uHfV3NvJBzVXIQ/NlypaJOWotf5IciJoWH3B"
    "zKk1chnWZ4IJisZIPbIlf+rXRHqRH5CmsHRkqR9tNNO/OQX+KG+SxB5ChWsiy/J018T+7m"
    "7FYEHjHJ494/eAyOZ0SXQwRqoxDF9whJ7nBomdrSpnKcvzoo9S5FvmnEmUU4AeukQXUW2r"
    "9J765MTeaxW5ZXnqITectrLcLsp9eNR3saFeP3nFPn7qv69Krs9u19nGpdz3MideUPS791"
    "t/sxyS4PfZ5cXfY/KicPJywPDKEKMr9xPEGvZXSVSXBBzge75Fmud8fYu0LimiaENvzBC9"
    "vjv8vUl93bvDj5XAyujynHdTiH5EzPG7sFfMSyjLX4PNfzzjRerulRdg7ypm+z5GSZweeC"
    "3LRkmmL0/Q2pTlixNCcFOa+FsG22X7kGGZvG0aeVBJgqk8yfcVnmyZVHFhmOmjKU9zNFLj"
    "zsHufvv6lw+YTWpBb+QehJ2ZDkzMhV4EdmUZqDFMwazRcD/GTOhsUHAFuXiTTEk9TnU49u"
    "HhYWZ4PRBHaDWnuZzkiaLFt8Hdjx5lOSLhd0+4wQRYWB2avI4b/SQS1rSYUYOODgpXE6oY"
    "WVCBL/saKV9zQzXMDRkwSKuEHGP6+uaG7GeBwkMLWz8qTKxHfPG7fHfuEx556yLD1ogOfj"
    "OjO+5VbLd3sM1LXkW7I/OO10F5JXxJVGNjNiPD9YSpjKSlghhO8ctXkSbO691vDls8YI5D"
    "SFMtFR3R17jsFNUNNN38APgvBMFgypZfV8pv+c5WLzZ2NrzY2Fl9sfHVFV6P/st0il5d4T"
    "+j1J/aFa7o3XWZ4s6sUfbhyLBnoz9HU5qveXHr5fzqWNTLsUBfsjR+suFzPSlLnS3eexaf"
    "dfb3t7nf9/fX3+/YV0g6wKGqgHBE/h2i+yifhcAwCiv7Dt7mapCI5ekToc+Tw3mwrOazXm"
    "Z3/wfM7clw"
)
