"""The account pool shared by the api and the gateway."""
