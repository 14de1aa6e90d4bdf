DROP TABLE conversation_mutes;
DROP TABLE conversations;
DROP TABLE account_settings;
DROP TABLE suggestion_dismissals;
DROP TABLE account_notes;
DROP TABLE account_endorsements;
