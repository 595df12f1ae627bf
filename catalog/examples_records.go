package catalog

// Personnel-file records. Each has the member (user_id), the administrator
// who wrote it (author_id), an optional supporting document and free text.
// PERSCOM loads the record's subject (rank, award, qualification, assignment)
// with it; the member is included so that messages can name them.

const assignmentRecordExample = `{
	"id": 204, "user_id": 42, "status_id": 1, "unit_id": 4, "secondary_unit_ids": [],
	"position_id": 3, "secondary_position_ids": [], "specialty_id": 2, "secondary_specialty_ids": [],
	"document_id": null, "author_id": 5, "type": "primary",
	"text": "Assigned as squad leader, 2nd Squad, following promotion to Staff Sergeant.",
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `,
	"position": ` + positionSquadLeader + `,
	"specialty": ` + specialtyInfantryman + `,
	"unit": ` + unitFirstPlatoon + `,
	"status": ` + statusActiveDuty + `,
	"user": ` + userJordanReyes + `
}`

const assignmentRecordChanges = `{
	"text": "Assigned as squad leader, 3rd Squad, following promotion to Staff Sergeant.",
	"updated_at": ` + exampleUpdatedAt + `
}`

const awardRecordExample = `{
	"id": 131, "user_id": 42, "award_id": 12, "document_id": 7, "author_id": 5,
	"text": "For meritorious service as a fire team leader during Operation Iron Harvest.",
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `,
	"award": {"id": 12, "name": "Army Commendation Medal",
		"description": "Awarded for heroism, meritorious achievement or meritorious service.",
		"order": 9, "created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"},
	"user": ` + userJordanReyes + `
}`

const awardRecordChanges = `{
	"text": "For meritorious service as a fire team leader during Operations Iron Harvest and Night Owl.",
	"updated_at": ` + exampleUpdatedAt + `
}`

const combatRecordExample = `{
	"id": 88, "user_id": 42, "document_id": null, "author_id": 5,
	"text": "Operation Iron Harvest: led 2nd Squad in the assault on the Novo Selo crossing; no friendly casualties.",
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `,
	"user": ` + userJordanReyes + `
}`

const combatRecordChanges = `{
	"text": "Operation Iron Harvest: led 2nd Squad in the assault on the Novo Selo crossing; one friendly casualty, evacuated.",
	"updated_at": ` + exampleUpdatedAt + `
}`

const qualificationRecordExample = `{
	"id": 167, "user_id": 42, "qualification_id": 6, "document_id": null, "author_id": 5,
	"text": "Passed the Combat Lifesaver course, class 26-04.",
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `,
	"qualification": {"id": 6, "name": "Combat Lifesaver",
		"description": "Trained to treat and stabilise casualties until a medic arrives.",
		"order": 3, "created_at": "2025-06-01T12:00:00.000000Z", "updated_at": "2025-06-01T12:00:00.000000Z"},
	"user": ` + userJordanReyes + `
}`

const qualificationRecordChanges = `{
	"text": "Passed the Combat Lifesaver course, class 26-04, with distinction.",
	"updated_at": ` + exampleUpdatedAt + `
}`

// type 0 is a promotion, 1 a demotion; rank is the rank the member now holds.
const rankRecordExample = `{
	"id": 318, "user_id": 42, "rank_id": 8, "document_id": 3, "author_id": 5,
	"text": "Promoted for steady leadership of a fire team throughout the spring campaign.",
	"type": 0,
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `,
	"rank": ` + rankStaffSergeant + `,
	"user": ` + userJordanReyes + `
}`

const rankRecordChanges = `{
	"text": "Promoted for steady leadership of a fire team and a squad throughout the spring campaign.",
	"updated_at": ` + exampleUpdatedAt + `
}`

const serviceRecordExample = `{
	"id": 412, "user_id": 42, "document_id": null, "author_id": 5,
	"text": "Completed the Basic Non-Commissioned Officer Course.",
	"created_at": ` + exampleCreatedAt + `, "updated_at": ` + exampleCreatedAt + `,
	"user": ` + userJordanReyes + `
}`

const serviceRecordChanges = `{
	"text": "Completed the Basic Non-Commissioned Officer Course as honour graduate.",
	"updated_at": ` + exampleUpdatedAt + `
}`
