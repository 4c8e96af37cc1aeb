import type { Migration } from '../../platform/index.js';

/**
 * Commands sent to meters (one row each, its outcome written when the edge answers) and their audit
 * trail: every request, publish and answer appended to `meter_command_log`, which refuses UPDATE,
 * DELETE and TRUNCATE.
 */
export const COMMAND_MIGRATIONS: Migration[] = [
  {
    id: 'metering-0040-meter-commands',
    sql: `
CREATE TABLE IF NOT EXISTS meter_commands (
  id text PRIMARY KEY,
  meter_id text NOT NULL,
  command text NOT NULL CHECK (command IN ('relay', 'set', 'read')),
  action text CHECK (action IN ('open', 'close')),
  field text,
  value jsonb,
  reason text,
  requested_by text NOT NULL,
  request_id text,
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'not-sent', 'done', 'failed', 'expired', 'rejected')),
  relay text CHECK (relay IN ('connected', 'disconnected')),
  detail text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  answered_at timestamptz,
  UNIQUE (meter_id, request_id)
);
CREATE INDEX IF NOT EXISTS meter_commands_meter ON meter_commands (meter_id, created_at DESC);
CREATE TABLE IF NOT EXISTS meter_command_log (
  id bigserial PRIMARY KEY,
  command_id text NOT NULL,
  meter_id text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  step text NOT NULL,
  actor text NOT NULL,
  detail text
);
CREATE INDEX IF NOT EXISTS meter_command_log_command ON meter_command_log (command_id, id);
CREATE OR REPLACE FUNCTION meter_command_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'meter_command_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS meter_command_log_no_update ON meter_command_log;
CREATE TRIGGER meter_command_log_no_update BEFORE UPDATE OR DELETE ON meter_command_log
  FOR EACH ROW EXECUTE FUNCTION meter_command_log_append_only();
DROP TRIGGER IF EXISTS meter_command_log_no_truncate ON meter_command_log;
CREATE TRIGGER meter_command_log_no_truncate BEFORE TRUNCATE ON meter_command_log
  FOR EACH STATEMENT EXECUTE FUNCTION meter_command_log_append_only()`,
  },
  {
    // The supply's last known state, from a relay command done or the meter's own relay event
    // (a prepaid meter opening at zero credit): whichever the meter reported last.
    id: 'metering-0041-meter-relay-state',
    sql: `
CREATE TABLE IF NOT EXISTS meter_relay_state (
  meter_id text PRIMARY KEY,
  relay text NOT NULL CHECK (relay IN ('connected', 'disconnected')),
  at timestamptz NOT NULL,
  cause text NOT NULL
)`,
  },
];
