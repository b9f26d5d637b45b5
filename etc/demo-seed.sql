-- Customers for the demo POP and the end-to-end test: one per routeros-sim
-- user (user0001 … user2000, see tools/routeros-sim/README.md). Even users
-- buy fiber-50M, odd users fiber-100M. The simulator gives user u a download
-- rate of (1 + u % 50) Mbit/s, so 50M customers at 48–50 Mbit/s sit at ≥95%
-- of their package and fire the bandwidth alert. Load after etc/schema.sql.
INSERT INTO customers (name, service_type, pppoe_username, package, router)
SELECT 'Customer ' || g,
       'pppoe',
       'user' || lpad(g::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'fiber-50M' ELSE 'fiber-100M' END,
       'pop1'
  FROM generate_series(1, 2000) AS g
ON CONFLICT (pppoe_username) DO NOTHING;
