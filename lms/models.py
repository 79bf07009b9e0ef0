"""Imports every feature's models so the ORM and Alembic see the whole schema."""
from lms.accounts.models import AccountToken, LoginAttempt, SignInGuard, User, UserSession  # noqa: F401
from lms.accounts.registrations import RegistrationMix  # noqa: F401
from lms.api.models import ApiToken  # noqa: F401
from lms.audit.models import AuditEvent  # noqa: F401
from lms.catalogue.models import Course, CourseInterest, CourseVersion, Lesson  # noqa: F401
from lms.compliance.models import ComplianceCount, ComplianceStatus, Requirement, RequirementRule  # noqa: F401
from lms.elearning.models import Enrolment, QuizAttempt  # noqa: F401
from lms.elearning.scorm.models import ScormAttempt, ScormPackage  # noqa: F401
from lms.licences.models import LicencePolicy, LicencePurchase  # noqa: F401
from lms.notifications.models import JobRun, OutboundEmail  # noqa: F401
from lms.records.models import Completion, CompletionRemoval, ExternalActivity  # noqa: F401
from lms.records.imports.models import ImportJob  # noqa: F401
from lms.downloads.models import PreparedDownload  # noqa: F401
from lms.records.uptake import UptakeLearner, UptakeMix, UptakeQuarterMix, UptakeSpan  # noqa: F401
from lms.partnership.models import PartnershipSettings  # noqa: F401
from lms.programmes.models import Programme  # noqa: F401
from lms.organisations.models import (  # noqa: F401
    Area,
    Employment,
    JobRole,
    Organisation,
    OrganisationRequest,
    OrganisationType,
    PersonRole,
    Sector,
    SettingLead,
)
from lms.bookings.models import Booking, ChargeRate, TrainingSession  # noqa: F401
from lms.certificates.models import Certificate  # noqa: F401
from lms.evaluations.models import Evaluation  # noqa: F401
from lms.evaluations.followup.models import FollowUp  # noqa: F401
from lms.programmes.twilights.models import TwilightSession, TwilightTerm  # noqa: F401
from lms.programmes.week.models import (  # noqa: F401
    EventEngagement,
    PublicRegistration,
    RegistrationAttempt,
    RegistrationLink,
    WeekDetails,
    WeekEvent,
)
