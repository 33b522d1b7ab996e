-- Outbound calls (src/sip/outbound.c): the variables a call carried (header
-- mapping, POST /v1/calls) and, for outbound calls, each endpoint tried
-- [{host, port, transport, result, sip_code, reason, ended_at}].
ALTER TABLE calls ADD COLUMN variables jsonb NOT NULL DEFAULT '{}';
ALTER TABLE calls ADD COLUMN attempts jsonb NOT NULL DEFAULT '[]';
