DROP TABLE tenant_trends;
DROP TABLE announcement_reactions;
DROP TABLE announcement_dismissals;
DROP TABLE announcements;
