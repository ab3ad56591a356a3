"""The platform every resource module stands on: configuration, the database and its SQL
files, errors, logging, HTTP conventions, security, the ENUM mirrors."""
