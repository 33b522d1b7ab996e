-- Inbound forwarding (src/sip/bridge.c): each leg of a forwarded call names
-- the other, so that a call record leads to its twin.
ALTER TABLE calls ADD COLUMN bridge_id uuid;
CREATE INDEX calls_bridge_id ON calls (bridge_id) WHERE bridge_id IS NOT NULL;
