-- Whether the database already has users: the seed fills an empty database only.
-- returns: value
SELECT EXISTS (SELECT FROM users) AS has_users;
