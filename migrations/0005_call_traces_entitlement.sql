-- Calls keep their SIP trace and what the application did; the
-- configuration map learns whether each number's org may use SIP, so that
-- call routing (src/sip/calls.c) never asks the database.

-- [{time_us, direction, transport, src, dst, text}], in order
ALTER TABLE calls ADD COLUMN trace json NOT NULL DEFAULT '[]';
ALTER TABLE calls ADD COLUMN app text NOT NULL DEFAULT 'echo';
-- the WAV file of a call recorded by the record application
ALTER TABLE calls ADD COLUMN recording text;
CREATE INDEX calls_org_number_started ON calls (org_id, number,
						 started_at DESC);

-- sip_state as in 0003, each row also saying whether its org has the 'sip'
-- entitlement (trunkd answers 403 to calls for numbers of orgs without it)
CREATE OR REPLACE FUNCTION sip_state(p_number text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT json_build_object('number', n.number, 'rev', n.rev,
		'inbound_id', n.inbound_id, 'rows',
		coalesce((SELECT json_agg(json_build_object(
			'number', c.number, 'id', c.id, 'org_id', c.org_id,
			'direction', c.direction,
			'sip_endpoint', c.sip_endpoint,
			'created_at', sip_ts(c.created_at),
			'updated_at', sip_ts(c.updated_at),
			'headers', c.headers, 'options', c.options,
			'trunk_id', c.trunk_id,
			'failover_config', c.failover_config,
			'codec_config', c.codec_config,
			'alert_config', c.alert_config,
			'secret', c.secret,
			'sip_enabled', coalesce((SELECT e.enabled
				FROM entitlements e WHERE e.org_id = c.org_id
				AND e.name = 'sip'), false))
			ORDER BY c.direction)
		FROM sip_configs c WHERE c.number = n.number), '[]'::json))
	FROM sip_numbers n WHERE n.number = p_number);
END $$;

-- A change of an org's 'sip' entitlement is a change of all its numbers
CREATE FUNCTION sip_entitlement_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	r record;
	org uuid;
BEGIN
	IF TG_OP = 'DELETE' THEN
		org := OLD.org_id;
		IF OLD.name <> 'sip' THEN RETURN NULL; END IF;
	ELSE
		org := NEW.org_id;
		IF NEW.name <> 'sip' THEN RETURN NULL; END IF;
	END IF;
	FOR r IN SELECT DISTINCT number FROM sip_configs WHERE org_id = org
	LOOP
		PERFORM sip_touch(r.number);
	END LOOP;
	RETURN NULL;
END $$;

CREATE TRIGGER entitlements_sip_changed AFTER INSERT OR UPDATE OR DELETE
	ON entitlements FOR EACH ROW EXECUTE FUNCTION sip_entitlement_changed();
