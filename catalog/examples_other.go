package catalog

// Calendars, events, messages, form submissions and users.

const calendarExample = `{
	"id": 2, "name": "Operations",
	"description": "Scheduled operations and field training for Alpha Company.",
	"color": "#b91c1c",
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `
}`

const calendarChanges = `{
	"description": "Scheduled operations, field training and joint exercises for Alpha Company.",
	"updated_at": ` + exampleUpdatedAt + `
}`

// An event carries its start and end in UTC; is_past, computed_end and
// next_occurrence are attributes PERSCOM appends, and it always loads the
// event's calendar.
const eventExample = `{
	"id": 31, "name": "Operation Iron Harvest", "calendar_id": 2,
	"description": "Company air assault to seize the Novo Selo river crossing.",
	"content": "<p>Briefing 30 minutes before step-off. Bring a full combat load.</p>",
	"location": "Server 1 (Altis)", "url": null, "author_id": 5, "all_day": false,
	"start": "2026-05-23T19:00:00.000000Z", "end": "2026-05-23T21:30:00.000000Z",
	"repeats": false, "frequency": null, "interval": 1, "end_type": null, "count": null, "until": null,
	"by_day": null, "by_month": null, "by_month_day": null, "rrule": null,
	"registration_enabled": true, "registration_deadline": "2026-05-23T17:00:00.000000Z",
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `,
	"is_past": false, "computed_end": "2026-05-23T21:30:00.000000Z",
	"next_occurrence": "2026-05-23T19:00:00.000000Z",
	"calendar": {"id": 2, "name": "Operations",
		"description": "Scheduled operations and field training for Alpha Company.", "color": "#b91c1c",
		"created_at": "2026-01-10T16:20:00.000000Z", "updated_at": "2026-01-10T16:20:00.000000Z"}
}`

const eventChanges = `{
	"location": "Server 2 (Malden)",
	"updated_at": ` + exampleUpdatedAt + `
}`

// A message is an announcement PERSCOM sends to members over the chosen
// channels; recipients null means everyone. The @everyone is deliberate:
// chat connectors must show it without pinging anyone.
const messageExample = `{
	"id": 14,
	"message": "@everyone Operation Iron Harvest steps off Saturday at 19:00 UTC. Register on the calendar by 17:00.",
	"channels": ["database", "mail"], "recipients": null, "repeats": false,
	"send_at": null, "sent_at": ` + exampleCreatedAt + `,
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `
}`

const messageChanges = `{
	"message": "@everyone Operation Iron Harvest steps off Saturday at 19:00 UTC on Server 2. Register on the calendar by 17:00.",
	"updated_at": ` + exampleUpdatedAt + `
}`

// A submission's form fields appear as top-level attributes beside its own
// columns; PERSCOM always loads its form, user and statuses.
const submissionExample = `{
	"id": 96, "form_id": 1, "user_id": 57,
	"preferred_name": "Casey", "timezone": "America/Chicago",
	"experience": "Two years in a realism unit as a rifleman and combat medic.",
	"availability": "Saturdays and some weeknights",
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `,
	"form": {"id": 1, "name": "Enlistment Application", "slug": "enlistment-application",
		"description": "Apply to join Alpha Company.",
		"success_message": "Thanks for applying! A recruiter will contact you within 48 hours.",
		"is_public": true, "created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"},
	"user": ` + userCaseyMorgan + `,
	"statuses": []
}`

const submissionChanges = `{
	"availability": "Saturdays, Sundays and Wednesday evenings",
	"updated_at": ` + exampleUpdatedAt + `
}`

// A user carries its assignment ids and, because PERSCOM always loads them,
// its position, specialty, rank, status, unit and tasks. The example is a
// recruit who has just signed up; the update is their approval.
const userExample = `{
	"id": 57, "name": "Casey Morgan", "email": "casey.morgan@example.com", "email_verified_at": null,
	"position_id": null, "rank_id": 1, "specialty_id": null, "status_id": 3, "unit_id": null,
	"approved": false, "profile_photo": null, "cover_photo": null,
	"last_seen_at": "2026-05-17T20:41:19.000000Z",
	"created_at": "2026-05-17T20:41:19.000000Z", "updated_at": "2026-05-17T20:41:19.000000Z",
	"online": true, "url": "https://alpha.perscom.io/app/users/57", "relative_url": "/app/users/57",
	"profile_photo_url": null, "cover_photo_url": null,
	"position": null,
	"specialty": null,
	"rank": ` + rankRecruit + `,
	"status": ` + statusPendingReview + `,
	"unit": null,
	"tasks": []
}`

const userChanges = `{
	"approved": true,
	"updated_at": ` + exampleUpdatedAt + `
}`
