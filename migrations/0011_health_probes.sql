-- Every health-check probe (src/sip/health.c, written by
-- src/store/probelog.c): uptime and response times survive restarts.
-- Rows older than 8 days are deleted by trunkd itself.
CREATE TABLE health_probes (
	endpoint text NOT NULL,       -- transport:host:port
	at timestamptz NOT NULL,      -- when the probe was sent
	alive boolean NOT NULL,
	code integer NOT NULL,        -- 0: no reply
	rtt_ms integer NOT NULL       -- of an alive reply, else 0
);
CREATE INDEX health_probes_endpoint_at ON health_probes (endpoint, at DESC);
