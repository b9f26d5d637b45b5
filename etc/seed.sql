-- routerpulse — example customers for the demo and manual testing.
-- Load after etc/schema.sql:  psql -f etc/schema.sql -f etc/seed.sql
-- Re-running replaces these example rows.

BEGIN;
DELETE FROM customers
 WHERE name IN ('Ana Souza', 'Bruno Lima', 'Carla Mendes', 'Padaria Central', 'Praça Wi-Fi');
INSERT INTO customers (name, service_type, pppoe_username, static_ip, package, router) VALUES
  ('Ana Souza',       'pppoe',     'ana.souza',  NULL,           'fiber-100M',  'pop1-core'),
  ('Bruno Lima',      'pppoe',     'bruno.lima', NULL,           'fiber-300M',  'pop1-core'),
  ('Carla Mendes',    'pppoe',     'carla.m',    NULL,           'fiber-50M',   'pop1-edge'),
  ('Padaria Central', 'static_ip', NULL,         '203.0.113.10', 'biz-500M',    'pop1-core'),
  ('Praça Wi-Fi',     'hotspot',   NULL,         NULL,           'hotspot-day', 'pop1-edge');
COMMIT;

-- Bulk customers for load tests (user00001 … user10000), e.g. to match a
-- routeros-sim scenario; adjust the count and name pattern as needed:
-- INSERT INTO customers (name, service_type, pppoe_username, package, router)
-- SELECT 'Customer ' || g, 'pppoe', 'user' || lpad(g::text, 5, '0'), 'fiber-100M', 'pop1-core'
--   FROM generate_series(1, 10000) AS g
-- ON CONFLICT (pppoe_username) DO NOTHING;
