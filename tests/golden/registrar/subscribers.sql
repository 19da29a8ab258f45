-- sipprov: 2 subscriber rows of 2 domains for Kamailio's auth_db
-- (modparam("auth_db", "calculate_ha1", 0), modparam("auth_db", "password_column", "ha1")).
-- Replaces every row of these domains.
BEGIN;
DELETE FROM subscriber WHERE domain IN ('acme.example.com', 'empty.example.com');
INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ('101-a8k2m4qz', 'acme.example.com', '', 'd6bf696574bc1942c62f9879ba90e9fe', 'a650361d3f1bc83fe0cc09e32135114e');
INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ('102-x7p3n9re', 'acme.example.com', '', '73dafa972bdb6682e85784e05c2b5855', 'b5eba2269debf2f2e1e42ad81f6551bc');
COMMIT;
