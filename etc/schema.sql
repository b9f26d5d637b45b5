-- routerpulse — example customer database for the pg_enrich processor.
--
-- One row per customer service. Traffic samples from RouterOS carry only the
-- PPPoE user name (tag `pppoe_user`); pg_enrich looks it up here, e.g.
--   SELECT id::text AS customer_id, name, package, service_type, router
--     FROM customers WHERE pppoe_username = $1
-- Safe to run repeatedly (psql -f etc/schema.sql). Example rows: etc/seed.sql.

SET client_min_messages = warning;  -- no NOTICEs for IF [NOT] EXISTS on re-runs

CREATE TABLE IF NOT EXISTS customers (
  id             bigserial PRIMARY KEY,
  name           text NOT NULL,
  service_type   text NOT NULL
                 CHECK (service_type IN ('pppoe', 'hotspot', 'static_ip')),
  pppoe_username text,           -- RouterOS /ppp/secret name; required for pppoe
  static_ip      inet,           -- required for static_ip customers
  package        text NOT NULL,  -- commercial plan, e.g. 'fiber-100M'
  router         text,           -- RouterOS identity of the customer's access router
  CONSTRAINT customers_pppoe_needs_username
    CHECK (service_type <> 'pppoe' OR pppoe_username IS NOT NULL),
  CONSTRAINT customers_static_needs_ip
    CHECK (service_type <> 'static_ip' OR static_ip IS NOT NULL)
);

-- The lookup key of pg_enrich: one customer per PPPoE user name.
CREATE UNIQUE INDEX IF NOT EXISTS customers_pppoe_username_idx ON customers (pppoe_username);
CREATE INDEX IF NOT EXISTS customers_static_ip_idx ON customers (static_ip);

-- Cache invalidation for pg_enrich `listen_channel: customers_changed`:
-- every change NOTIFYs the affected PPPoE user name(s), so the agent drops
-- that cache entry at once instead of waiting for its ttl.
CREATE OR REPLACE FUNCTION customers_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.pppoe_username IS NOT NULL THEN
    PERFORM pg_notify('customers_changed', OLD.pppoe_username);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.pppoe_username IS NOT NULL
     AND NEW.pppoe_username IS DISTINCT FROM (CASE WHEN TG_OP = 'UPDATE' THEN OLD.pppoe_username END) THEN
    PERFORM pg_notify('customers_changed', NEW.pppoe_username);
  END IF;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS customers_notify_change ON customers;
CREATE TRIGGER customers_notify_change
  AFTER INSERT OR UPDATE OR DELETE ON customers
  FOR EACH ROW EXECUTE FUNCTION customers_notify_change();
