"""The API described once: one schema per resource.

Response schemas (`Shape`) turn model rows into the JSON bodies; query schemas (`Args`)
read and check the parameters; lms/api/document.py builds /api/v1/openapi.json from both
and from each route's `describe(...)`, so the document cannot drift from what the API
does. Reference data is named by stable codes (DESIGN.md 4). The building blocks (field
types, `With`, `dump`) are in lms/api/fields.py; one module here per group of resources.
"""
from lms.api.schemas.bookings import (AlreadyBooked, Booking, BookingPage, BookingSession, BookSession,
                                      JoiningDetails, MyBookingArgs, Session, SessionArgs, SessionDetail,
                                      SessionPage, Venue)
from lms.api.schemas.certificates import CertificateStatus, MyCertificate, MyCertificatePage
from lms.api.schemas.common import Error, FieldError, Page, list_of, page_of
from lms.api.schemas.compliance import (ComplianceArgs, OrganisationCompliance, OrganisationComplianceRow,
                                        PersonCompliance, RequirementHours, RequirementStatus)
from lms.api.schemas.learning import (Completion, CompletionPage, Course, CourseArgs, CourseAudience, CourseDetail,
                                      CoursePage, EnrolMe, Enrolment, EnrolmentPage, EnrolPerson, ExternalActivity,
                                      LessonOutline, LogExternalCpd, MyEnrolmentArgs, QuizOutline)
from lms.api.schemas.people import (AskingToJoin, JobRole, JobRoleHeld, JobRoleList, JoinRequest, JoinRequestPage,
                                    Me, Organisation, OrganisationArgs,
                                    OrganisationPage, OrganisationSummary, OrganisationType, OrganisationTypeList,
                                    PeopleArgs, Person, PersonPage, PersonSummary, ReferenceItem, ReferenceList)
from lms.api.schemas.completions import (CompletionFeed, CompletionFeedArgs, CompletionRow, RemovalArgs, RemovedCompletion,
                                         RemovedCompletionPage)
from lms.api.schemas.reports import (ComplianceCountRow, ComplianceReport, ComplianceReportArgs, EvaluationArgs,
                                     EvaluationsReport, PeriodArgs, SessionsReport, Uptake, UptakeArgs, UptakeFigures,
                                     UptakeLong, UptakePeriod, UptakeRow)

__all__ = [
    "CompletionFeed", "CompletionFeedArgs", "CompletionRow", "RemovalArgs", "RemovedCompletion", "RemovedCompletionPage",
    "ComplianceCountRow", "ComplianceReport",
    "ComplianceReportArgs", "EvaluationArgs", "EvaluationsReport", "PeriodArgs", "SessionsReport", "UptakeLong",
    "AlreadyBooked", "AskingToJoin", "Booking", "BookingPage", "BookingSession", "BookSession", "CertificateStatus", "Completion",
    "CompletionPage", "ComplianceArgs", "Course", "CourseArgs", "CourseAudience", "CourseDetail", "CoursePage",
    "EnrolMe", "Enrolment", "EnrolmentPage", "EnrolPerson", "Error", "ExternalActivity", "FieldError", "JobRole",
    "JobRoleHeld", "JobRoleList", "JoinRequest", "JoinRequestPage", "JoiningDetails", "LessonOutline", "LogExternalCpd", "Me", "MyBookingArgs",
    "MyCertificate", "MyCertificatePage", "MyEnrolmentArgs", "Organisation", "OrganisationArgs",
    "OrganisationCompliance", "OrganisationComplianceRow", "OrganisationPage", "OrganisationSummary",
    "OrganisationType", "OrganisationTypeList", "Page", "PeopleArgs", "Person", "PersonCompliance", "PersonPage", "PersonSummary",
    "QuizOutline", "ReferenceItem", "ReferenceList", "RequirementHours", "RequirementStatus", "Session",
    "SessionArgs", "SessionDetail", "SessionPage", "Uptake", "UptakeArgs", "UptakeFigures", "UptakePeriod",
    "UptakeRow", "Venue", "list_of", "page_of",
]
