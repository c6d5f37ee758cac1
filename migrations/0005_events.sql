-- Order and kitchen changes are announced on the pos_events channel when
-- their transaction commits; posev LISTENs and streams them to the store's
-- pages and tills (GET /api/events).  The payload names tenant and store so
-- a stream only ever carries its own store's events.
CREATE OR REPLACE FUNCTION notify_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('pos_events', json_build_object('tenant', NEW.tenant_id, 'store', NEW.store_id,
            'type', 'order', 'id', NEW.id, 'kitchen_status', NEW.kitchen_status)::text);
    ELSIF NEW.kitchen_status IS DISTINCT FROM OLD.kitchen_status OR NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM pg_notify('pos_events', json_build_object('tenant', NEW.tenant_id, 'store', NEW.store_id,
            'type', CASE WHEN NEW.status IS DISTINCT FROM OLD.status THEN 'order' ELSE 'kitchen' END,
            'id', NEW.id, 'kitchen_status', NEW.kitchen_status)::text);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS orders_notify ON orders;
CREATE TRIGGER orders_notify AFTER INSERT OR UPDATE OF kitchen_status, status ON orders
    FOR EACH ROW EXECUTE FUNCTION notify_order_event();
