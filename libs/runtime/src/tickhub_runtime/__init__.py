"""What every tickhub service shares at run time: settings, the NATS connection,
logging and the process lifecycle."""
