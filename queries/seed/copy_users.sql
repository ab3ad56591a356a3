-- Load the seeded users (all with the hash of the demo password) from the generator's COPY
-- text lines, which hold these columns in this order.
-- returns: none
COPY users (id, email, password_hash, display_name, preferred_weight_unit, version,
            created_at, updated_at)
FROM STDIN;
