-- A log entry's request and response keep what was sent and received. A
-- receiver's answer may hold a NUL byte (binary, UTF-16 or protobuf
-- bodies), which JSON writes as \u0000: JSONB refuses that escape, so the
-- entry could not be stored and the attempt was sent again. JSON keeps the
-- text as given. Nothing queries inside these columns.
ALTER TABLE logs
    ALTER COLUMN request TYPE JSON USING request::json,
    ALTER COLUMN response TYPE JSON USING response::json;
