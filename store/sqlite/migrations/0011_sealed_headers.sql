-- No schema change: from this version on, a webhook's custom headers are
-- sealed at rest like its secret (the column stays JSON text in clear for
-- rows written without a keyring). The version is recorded so that an
-- older Herald, which cannot read sealed headers, refuses the database at
-- start-up instead of failing every read of a webhook.
SELECT 1;
