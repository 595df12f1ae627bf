package catalog

// Example data follows PERSCOM's webhook payloads: `data` is the model's
// toArray(), which holds its columns, its appended attributes and the
// relations it always loads; `changes` is the model's getChanges(). Names,
// ids and text are invented for one fictional unit, so the examples refer to
// each other consistently: Jordan Reyes (user 42) is the subject of the
// record examples, Casey Morgan (user 57) is a new recruit, and Sam Whitaker
// (user 5) is the administrator who writes the records.
//
// Timestamps use Laravel's serialisation: UTC with microseconds.
const (
	exampleCreatedAt = `"2026-05-17T21:04:05.000000Z"`
	exampleUpdatedAt = `"2026-05-18T09:12:47.000000Z"`
)

// Ranks, as nested in users and rank records.
const (
	rankRecruit = `{"id": 1, "name": "Recruit", "description": "Applicant in processing, not yet assigned.",
		"abbreviation": "RCT", "paygrade": "E-1", "order": 1,
		"created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"}`

	rankStaffSergeant = `{"id": 8, "name": "Staff Sergeant",
		"description": "Leads a squad and answers for the training and welfare of its soldiers.",
		"abbreviation": "SSG", "paygrade": "E-6", "order": 8,
		"created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"}`
)

// Assignment objects, as nested in users and assignment records.
const (
	positionSquadLeader = `{"id": 3, "name": "Squad Leader", "description": "Leads a rifle squad of two fire teams.",
		"order": 3, "created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"}`

	specialtyInfantryman = `{"id": 2, "name": "Infantryman", "abbreviation": "11B",
		"description": "Closes with and destroys the enemy by fire and manoeuvre.",
		"order": 1, "created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"}`

	unitFirstPlatoon = `{"id": 4, "name": "1st Platoon, Alpha Company", "description": "Line infantry platoon.",
		"order": 1, "created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"}`

	statusActiveDuty = `{"id": 1, "name": "Active Duty", "color": "#16a34a", "order": 1,
		"created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"}`

	statusPendingReview = `{"id": 3, "name": "Pending Review", "color": "#ca8a04", "order": 3,
		"created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"}`
)

// userJordanReyes is the member the record examples are about, as nested in
// a record. PERSCOM always loads a user's rank, so messages can say
// "SSG Jordan Reyes".
const userJordanReyes = `{
	"id": 42, "name": "Jordan Reyes", "email": "jordan.reyes@example.com",
	"email_verified_at": "2025-09-14T19:02:11.000000Z",
	"position_id": 3, "rank_id": 8, "specialty_id": 2, "status_id": 1, "unit_id": 4,
	"approved": true, "profile_photo": null, "cover_photo": null,
	"last_seen_at": "2026-05-17T20:51:33.000000Z",
	"created_at": "2025-09-14T18:57:40.000000Z", "updated_at": "2026-05-17T21:04:05.000000Z",
	"online": true, "url": "https://alpha.perscom.io/app/users/42", "relative_url": "/app/users/42",
	"profile_photo_url": null, "cover_photo_url": null,
	"rank": ` + rankStaffSergeant + `
}`

// userCaseyMorgan is the new recruit, as nested in a form submission.
const userCaseyMorgan = `{
	"id": 57, "name": "Casey Morgan", "email": "casey.morgan@example.com", "email_verified_at": null,
	"position_id": null, "rank_id": 1, "specialty_id": null, "status_id": 3, "unit_id": null,
	"approved": false, "profile_photo": null, "cover_photo": null,
	"last_seen_at": "2026-05-17T21:03:58.000000Z",
	"created_at": "2026-05-17T20:41:19.000000Z", "updated_at": "2026-05-17T21:03:58.000000Z",
	"online": true, "url": "https://alpha.perscom.io/app/users/57", "relative_url": "/app/users/57",
	"profile_photo_url": null, "cover_photo_url": null,
	"rank": ` + rankRecruit + `
}`

// testExample is the data of TestEvent.
const testExample = `{"message": "This is a test event from Herald."}`
