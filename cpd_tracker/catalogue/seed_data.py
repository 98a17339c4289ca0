"""Seed content for the SEND training catalogue of schools in England.

``CATALOGUE`` holds one ``SeedModule`` per catalogue entry: the modules of the realistic SEND
catalogue in ``DOMAIN.md`` (several rows split into levels), each with a tier of expertise, a
delivery mode, CPD hours, a generic provider and a list price. Two modules are delivered in the
tool and carry their full content: ``send-code-of-practice-essentials`` and
``trauma-informed-practice-basics``.

Conventions:

* Money is in pence (never floats). ``list_price_pence`` is per delegate for external courses;
  for an INSET session it is the price of the session (a specialist-led day is £400 to £550,
  whatever the number of staff). ``None`` means no charge to the school (in-tool modules, LA
  briefings) or a fee that varies by provider and funding (qualifications).
* ``default_validity_months`` is how long a completion counts when no requirement says
  otherwise; ``None`` means it does not expire (renewal "none stated" or "local" in DOMAIN.md).
* ``suggested_roles`` uses ``StaffRoleKind`` values; empty means all staff.
* ``suggested_rule`` is a hint for a default requirement, using ``DueRule`` values and the
  ``Requirement`` column names (``due_days``, ``due_month``, ``due_day``, ``validity_months``).
* Every module carries the day it was last reviewed (``reviewed_on``) and, where proposals
  would change the law it teaches, a dated note of what is proposed (``proposed_changes``);
  both are appended to the summary, which is what the module page and catalogue show.
* Module pages are CommonMark without raw HTML, images or links: they are rendered by
  ``cpd_tracker.markdown`` with HTML switched off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Required, TypedDict

from cpd_tracker.models.catalogue import Delivery, Tier


class SuggestedRule(TypedDict, total=False):
    """A hint for a default requirement: a ``DueRule`` value plus the fields it uses."""

    due_rule: Required[str]
    #: ``days_after_start`` / ``days_after_appointment``.
    due_days: int
    #: ``fixed_date``: the day each academic year by which it is due (e.g. 1 September).
    due_month: int
    due_day: int
    #: Months a completion counts for; None: it never expires.
    validity_months: Required[int | None]


@dataclass(frozen=True)
class SeedOption:
    text: str
    correct: bool = False


@dataclass(frozen=True)
class SeedQuestion:
    prompt: str
    options: tuple[SeedOption, ...]
    #: Shown after the learner passes: why the right answers are right.
    explanation: str
    #: The module page (position, from 1) that teaches it: named to revisit after a fail.
    page: int | None = None


@dataclass(frozen=True)
class SeedPage:
    title: str
    body_markdown: str


@dataclass(frozen=True)
class SeedModule:
    slug: str
    title: str
    summary: str
    category: str
    tier: Tier
    delivery: Delivery
    cpd_hours: Decimal
    provider: str | None
    list_price_pence: int | None
    default_validity_months: int | None
    pass_mark_percent: int | None = None
    pages: tuple[SeedPage, ...] = ()
    questions: tuple[SeedQuestion, ...] = ()
    suggested_roles: tuple[str, ...] = ()
    suggested_rule: SuggestedRule | None = None
    #: The day the content was last checked against the law and guidance it teaches; the
    #: summary says so (``_reviewed``), since the module row has no field for it.
    reviewed_on: dt.date | None = None
    #: What published proposals would change, in neutral terms, dated and "not yet law";
    #: empty when nothing proposed touches the module. Also appended to the summary.
    proposed_changes: str = ""


def _md(text: str) -> str:
    """A page body: the text without its surrounding blank lines, ending in one newline."""
    return text.strip() + "\n"


def _q(page: int, prompt: str, explanation: str, *options: tuple[str, bool]) -> SeedQuestion:
    return SeedQuestion(
        prompt=prompt,
        options=tuple(SeedOption(text, correct) for text, correct in options),
        explanation=explanation,
        page=page,
    )


# Categories (free text in the model; kept consistent here).
SEND_FRAMEWORK = "SEND framework"
SEMH = "Social, emotional and mental health"
COGNITION = "Cognition and learning"
COMMUNICATION = "Communication and interaction"
AUTISM = "Autism"
BEHAVIOUR = "Behaviour"
FAMILIES = "Working with families"
LEADERSHIP = "Leadership and governance"
SENCO_QUALIFICATION = "SENCO qualification"

# Providers: generic descriptions, not companies.
LA_SEND_TEAM = "Local authority SEND team"
SPECIALIST_TEACHER_SERVICE = "Specialist teacher service"
AUTISM_OUTREACH = "Specialist teacher service (autism outreach)"
SALT_SERVICE = "Speech and language therapy service"
EP_SERVICE = "Educational psychology service"
BEHAVIOUR_TRAINER = "Accredited behaviour and de-escalation trainer"
TEACHING_SCHOOL_HUB = "Teaching school hub"
GOVERNOR_SERVICES = "Local authority governor services"
MEDIATION_SERVICE = "SEND mediation and disagreement resolution service"
MENTAL_HEALTH_TRAINER = "Specialist mental health training provider"
SPLD_COURSE_PROVIDER = "University or accredited SpLD course provider"
NPQ_LEAD_PROVIDER = "NPQ lead provider"


# --------------------------------------------------------------------------------------------
# In-tool module 1: SEND Code of Practice essentials
# --------------------------------------------------------------------------------------------

_COP_WHO_HAS_SEND = _md(
    """
## What the Code of Practice is

The *Special educational needs and disability code of practice: 0 to 25 years* (2015) is
statutory guidance under Part 3 of the Children and Families Act 2014, and schools must have
regard to it. **Must** in the Code means a legal requirement. **Should** means the guidance must
be considered, and a school will be expected to explain any departure from it.

## Who has SEN

A child or young person has special educational needs (SEN) if they have a learning difficulty
or disability which calls for special educational provision to be made for them (Code of
Practice, Introduction, xiii to xv). A pupil of school age has a learning difficulty or
disability if they:

- have a significantly greater difficulty in learning than the majority of others of the same
  age, or
- have a disability which prevents or hinders them from making use of the facilities generally
  provided for others of the same age in mainstream schools.

Special educational provision is provision that is **additional to or different from** that
normally available to pupils of the same age (6.15).

Many pupils with SEN are also disabled under the Equality Act 2010: they have a physical or
mental impairment with a long-term (a year or more) and substantial (more than minor or
trivial) adverse effect on their ability to carry out normal day-to-day activities. The two
overlap but are not the same. For disabled pupils, the school's Equality Act duties apply as
well, including the duty to make reasonable adjustments.

## The four broad areas of need (6.28 to 6.35)

- **Communication and interaction**: speech, language and communication needs, such as
  difficulty saying what they want to or understanding others. Autistic pupils often have needs
  in this area.
- **Cognition and learning**: from moderate to severe and profound and multiple learning
  difficulties, and specific learning difficulties such as dyslexia, dyscalculia and dyspraxia.
- **Social, emotional and mental health**: for example becoming withdrawn or isolated, or
  challenging or disruptive behaviour that may reflect anxiety, depression or other
  difficulties; also conditions such as ADHD.
- **Sensory and/or physical needs**: vision, hearing or multi-sensory impairment, and physical
  disability.

> The purpose of identification is to work out what action the school needs to take, not to fit
> a pupil into a category (6.27). Many pupils have needs across more than one area, and needs
> change over time.
"""
)

_COP_GRADUATED_APPROACH = _md(
    """
## SEN support

Where a pupil is identified as having SEN, the school should act to remove barriers to learning
and put effective special educational provision in place. This is **SEN support**. It takes the
form of a four-part cycle, **assess, plan, do, review**, known as the graduated approach (6.44).
Each turn of the cycle builds on the last, so the school's understanding of the pupil, and of
what helps them, grows over time.

### Assess (6.45 to 6.47)

The class or subject teacher, working with the SENCO, builds a clear picture of the pupil's
needs. That draws on:

- the teacher's own assessment and experience of the pupil
- previous progress and attainment, and how the pupil compares with their peers
- the views and experience of the pupil and their parents or carers
- advice from external services, where they are involved

Parents' concerns should be taken seriously and recorded, and compared with the school's own
information.

### Plan (6.48 to 6.51)

Where the school decides to provide SEN support, **the parents must be formally notified**
(6.48). The teacher and SENCO agree with the parents and the pupil the adjustments,
interventions and support to be put in place, the expected effect on progress, development or
behaviour, and a clear date for review. Everyone who works with the pupil should know the plan.

### Do (6.52 to 6.53)

The class or subject teacher remains responsible for working with the pupil every day. Where an
intervention means group or one-to-one teaching away from the main class, the teacher still
keeps responsibility for the pupil (6.52). Teachers work closely with teaching assistants and
specialist staff to plan the support, check its impact and link it back to classroom teaching.

### Review (6.54 to 6.56)

On the agreed date, the teacher and SENCO review how well the support worked, taking account of
the views of the pupil and their parents. The review feeds straight into the next cycle: keep
what worked, change what did not, and decide whether more specialist advice is needed.

The cycle is not paperwork for its own sake. A short, shared plan that everyone follows is worth
more than a long one nobody reads.
"""
)

_COP_EVERY_TEACHER = _md(
    """
## Responsible and accountable

The Code is direct about this: **teachers are responsible and accountable for the progress and
development of the pupils in their class, including where pupils access support from teaching
assistants or specialist staff** (6.36). "Every teacher is a teacher of SEND" is the short
version.

High quality teaching, adapted to individual pupils, is the first step in responding to pupils
who have or may have SEN. Additional intervention and support cannot make up for a lack of good
quality teaching (6.37).

## Noticing when a pupil needs more

Class and subject teachers, supported by senior leaders, should regularly assess the progress of
all pupils (6.17). Progress may be less than expected when it:

- is significantly slower than that of peers starting from the same baseline
- fails to match or better the pupil's previous rate of progress
- fails to close the attainment gap between the pupil and their peers
- widens the attainment gap

Progress is wider than attainment: look too at social skills, communication, independence and
wellbeing.

Some care is needed. Slow progress and low attainment do not necessarily mean a pupil has SEN,
though they can be a sign of it. Persistent disruptive or withdrawn behaviour does not
necessarily mean SEN either, but it should prompt a look at possible underlying causes, such as
an unidentified learning difficulty, difficulties with communication or mental health needs.
Difficulties that come only from learning English as an additional language are not SEN. Talk
to the SENCO when you are unsure.

## What it looks like day to day

- Know which pupils in your class have SEN, what their support plans say, and what helps them.
- Plan for them from the start: clear explanations, modelling, breaking tasks into steps,
  pre-teaching key vocabulary, checking understanding often, and scaffolds that are taken away
  as the pupil becomes more confident.
- Keep expectations high. Adapt the route, not the ambition.
- Plan how teaching assistants are deployed, and share what you each notice.
- Record what you try and what happens: it is the evidence for the next review.

If you are a teaching assistant, you play a central part in all of this. Work under the
direction of the teacher, share your observations, and ask when you are not sure what a pupil's
plan expects of you.
"""
)

_COP_SUPPORT_AND_PLANS = _md(
    """
## Two routes, one graduated approach

Most pupils with SEN have their needs met in their mainstream school through **SEN support**,
using the school's own resources and the graduated approach. Some pupils need more than a school
can reasonably provide from the resources normally available to it. For them, the local
authority may carry out an **education, health and care (EHC) needs assessment**, which may lead
to an **EHC plan**.

## EHC needs assessments

Where, despite the school having taken relevant and purposeful action to identify, assess and
meet a pupil's needs, the pupil has not made expected progress, the school or parents should
consider requesting an EHC needs assessment (6.63). The records of the assess, plan, do, review
cycles are the evidence the local authority will look at.

Parents, young people aged 16 to 25 and schools all have a specific right to ask the local
authority for an assessment (9.8). A school should ideally do so with the knowledge and
agreement of the parents.

The local authority must decide whether the pupil has or may have SEN, and whether it may be
necessary for special educational provision to be made through an EHC plan (section 36(8) of
the Children and Families Act 2014). A diagnosis is not required for either SEN support or an
assessment: support follows need.

## EHC plans

An EHC plan is a legal document issued by the **local authority**, not the school. It describes
the pupil's needs, the outcomes sought, and the special educational provision the local
authority must secure to meet those needs (chapter 9). In brief:

- the whole process, from the request to the final plan, has a statutory time limit of 20 weeks
  (chapter 9)
- a school named in a pupil's EHC plan must admit the pupil (section 43 of the Children and
  Families Act 2014)
- the local authority must review the plan at least every 12 months, and should consider
  reviewing the plan of a child under 5 every 3 to 6 months (9.178)
- for a pupil at school, the local authority requires the headteacher to arrange the annual
  review meeting (regulation 20 of the SEND Regulations 2014); the school organises it, but the
  review and any decision to change the plan are the local authority's

## What stays the same

An EHC plan does not hand the pupil over to someone else. The class or subject teacher is still
responsible and accountable for their progress, the graduated approach continues, and the
provision in the plan has to be delivered in lessons as well as in any specialist sessions. Read
the plans of the pupils you teach: they tell you what the pupil is entitled to.
"""
)

_COP_PARENTS_AND_PUPILS = _md(
    """
## The principles behind the Code

Section 19 of the Children and Families Act 2014 requires local authorities to have regard to
the views, wishes and feelings of children, young people and their parents, to the importance of
their participating as fully as possible in decisions, and to supporting children and young
people to achieve the best possible outcomes (1.1). These principles run through the whole Code,
including its guidance for schools.

## What schools must and should do

- Schools **must** inform parents when they make special educational provision for their child
  (6.2).
- Where a pupil receives SEN support, schools should talk to parents regularly to set clear
  outcomes and review progress towards them, discuss the support that will help, and agree the
  responsibilities of the parent, the pupil and the school. **Schools should meet parents at
  least three times each year** (6.65).
- Schools **must** give parents a report on their child's progress at least once a year, and
  most schools go further, with regular reports on how their child is getting on (6.64).
- These conversations should be led by a teacher with good knowledge of the pupil, supported by
  the SENCO, and the outcomes, actions and support agreed should be recorded and shared.

## Making meetings work

- Start with what is going well and what the pupil is good at.
- Parents know their child better than anyone: ask what they see at home and what has helped
  before.
- Use plain language. Explain any term or acronym you cannot avoid.
- Agree a small number of clear next steps, who will do them and by when.
- Follow up when you said you would.

## The pupil's voice

The pupil's views should be part of these discussions, whether they join all or part of the
meeting or their views are gathered beforehand. Ask in a way that suits their age and how they
communicate: visual scales, choosing from pictures or symbols, a short conversation while doing
something else, or a trusted adult helping them to prepare. Then show them what changed because
of what they said.

## When there is disagreement

Most disagreements are best resolved early, by listening and talking. Parents can also get
impartial information, advice and support from their local SEND information, advice and support
service (chapter 2), and the Code sets out formal routes for resolving disagreements
(chapter 11). Make sure concerns reach the SENCO quickly.
"""
)

_COP_SENCO_ROLE = _md(
    """
## Every mainstream school has a SENCO

Mainstream schools and maintained nursery schools must designate a SENCO (Code of Practice,
6.84 onwards; regulation 49 of the SEND Regulations 2014). The SENCO must be a qualified
teacher working at the school, or the headteacher or acting headteacher. A qualified teacher
here means someone with qualified teacher status (QTS), or with qualified teacher learning and
skills (QTLS) status who is a member of the Society for Education and Training.

Unless they are exempt, a new SENCO must achieve the mandatory SENCO qualification within three
years of taking up the post. Since 1 September 2024 that qualification is the **National
Professional Qualification (NPQ) for SENCOs**. A course for the older National Award still
counts only if it was started before that date and the course is completed before 1 September
2027.

## What the SENCO does

The SENCO works with the headteacher and governors on the strategic development of the school's
SEN policy and provision, and is most effective as part of the leadership team. They have
day-to-day responsibility for the operation of the SEN policy and for co-ordinating provision
for individual pupils, including those with EHC plans. That typically includes:

- advising colleagues on the graduated approach to SEN support
- advising on how the school's budget and staff are used to meet pupils' needs
- liaising with parents, other schools, educational psychologists, and health and social care
  professionals, and acting as a key contact for the local authority
- planning transitions between phases and schools
- keeping the records of pupils with SEN up to date

The school should make sure the SENCO has enough time and resources to do this.

## What the SENCO does not do

The SENCO does not take over responsibility for pupils with SEN. Class and subject teachers stay
responsible and accountable for their progress (6.36). The SENCO's job is to help every member of
staff do theirs well.

## Getting the most from your SENCO

When you raise a concern about a pupil, bring:

- what you have noticed, with examples of work or specific observations
- what you have already tried in class, and what happened
- what the pupil and their parents have said

## Key points from this module

- SEN support follows the graduated approach: assess, plan, do, review.
- Every teacher is responsible and accountable for pupils with SEN in their class.
- Parents must be told about SEN provision and get a report on progress at least once a year;
  schools should meet them at least three times a year.
- EHC plans are issued by the local authority; the teacher's responsibility does not change.
"""
)

_COP_QUESTIONS = (
    _q(
        1,
        "Which of these are the four broad areas of need in the SEND Code of Practice?",
        "The Code (6.28 to 6.35) describes four broad areas: communication and interaction; "
        "cognition and learning; social, emotional and mental health; and sensory and/or "
        "physical needs. Behaviour and attendance are not areas of need in themselves: "
        "behaviour may be a sign of an underlying need.",
        ("Communication and interaction", True),
        ("Cognition and learning", True),
        ("Social, emotional and mental health", True),
        ("Sensory and/or physical needs", True),
        ("Behaviour", False),
        ("Attendance", False),
    ),
    _q(
        2,
        "What are the four stages of the graduated approach, in order?",
        "SEN support takes the form of a four-part cycle: assess, plan, do, review (6.44). Each "
        "cycle builds on the last, so support is refined as understanding of the pupil grows.",
        ("Assess, plan, do, review", True),
        ("Plan, do, assess, review", False),
        ("Identify, refer, diagnose, support", False),
        ("Assess, refer, intervene, discharge", False),
    ),
    _q(
        3,
        "A teaching assistant runs a daily reading intervention with a Year 4 pupil outside the "
        "classroom. Who remains responsible and accountable for the pupil's progress?",
        "Teachers are responsible and accountable for the progress of the pupils in their class, "
        "including where pupils access support from teaching assistants or specialist staff "
        "(6.36). Where interventions happen away from the class, the teacher still keeps "
        "responsibility for the pupil (6.52).",
        ("The class teacher", True),
        ("The teaching assistant running the intervention", False),
        ("The SENCO", False),
        ("The local authority", False),
    ),
    _q(
        4,
        "Which of these statements about SEN support and EHC plans are true?",
        "Most pupils with SEN are supported through SEN support in their mainstream school. "
        "Parents, young people and schools can all ask the local authority for an EHC needs "
        "assessment (9.8). EHC plans are issued by the local authority, not the school, and "
        "neither SEN support nor an assessment depends on a diagnosis.",
        (
            "Most pupils with SEN have their needs met through SEN support, without an EHC plan.",
            True,
        ),
        ("Parents can ask the local authority for an EHC needs assessment themselves.", True),
        ("A pupil needs a medical diagnosis before they can receive SEN support.", False),
        ("EHC plans are written and issued by the pupil's school.", False),
    ),
    _q(
        5,
        "The school has decided to provide SEN support for a pupil. What does the Code of "
        "Practice say about the pupil's parents?",
        "Parents must be formally notified when a school decides to provide SEN support (6.48; "
        "see also 6.2). Schools must report to parents on their child's progress at least once "
        "a year (6.64). Where a pupil receives SEN support, schools should meet parents at least "
        "three times each year (6.65), and parents should be involved in planning and reviewing "
        "the support.",
        ("They must be formally notified.", True),
        ("The school must report to them on their child's progress at least once a year.", True),
        ("The school should meet them at least three times each year.", True),
        ("They only need to be told at the annual parents' evening.", False),
        ("They should be kept out of planning so that staff can decide objectively.", False),
    ),
    _q(
        1,
        "A pupil's behaviour in your lessons has become persistently disruptive. What is the "
        "best first response, in line with the Code?",
        "Persistent disruptive or withdrawn behaviour does not necessarily mean a pupil has SEN, "
        "but it should prompt an assessment of possible underlying causes, such as an "
        "unidentified learning difficulty, communication difficulties or mental health needs. "
        "The purpose of identification is to work out what action to take, not to fit a pupil "
        "into a category (6.27).",
        (
            "Share your observations with the SENCO and look together for possible underlying "
            "causes, such as learning, communication or mental health needs.",
            True,
        ),
        ("Add the pupil to the SEN register under social, emotional and mental health.", False),
        ("Treat it purely as a behaviour matter: SEN is not relevant to behaviour.", False),
        ("Wait until the pupil has a diagnosis before changing anything.", False),
    ),
    _q(
        5,
        "Which of these are good ways to include a pupil's voice in planning their support?",
        "The pupil's views should be part of planning and review discussions, gathered in a way "
        "that suits their age and how they communicate, and they should see what changed as a "
        "result (chapter 1; 6.65). Leaving them out, or relying only on adults' views, misses "
        "what they know about what helps them.",
        ("Ask them what helps, using visual scales or symbols if that suits them better.", True),
        ("Invite them to all or part of the review meeting, with a trusted adult to help.", True),
        ("Leave them out of the discussion so that they do not worry.", False),
        ("Ask only their parents, who can speak for them.", False),
    ),
    _q(
        6,
        "Which of these are part of the SENCO's role?",
        "The SENCO works with the head and governors on SEN policy and provision, co-ordinates "
        "provision day to day, advises colleagues on the graduated approach and liaises with "
        "parents and external agencies (6.84 onwards). They do not take over responsibility for "
        "teaching pupils with SEN: teachers remain responsible and accountable (6.36).",
        ("Advising colleagues on the graduated approach to SEN support", True),
        ("Liaising with parents and external services such as educational psychologists", True),
        ("Taking over responsibility for the progress of every pupil with SEN", False),
        ("Writing and issuing EHC plans", False),
    ),
    _q(
        4,
        "A Year 8 pupil has an EHC plan. Which of these statements about reviewing it are true?",
        "The local authority must review an EHC plan at least every 12 months. For a pupil at "
        "school, it requires the headteacher to arrange the review meeting (regulation 20 of the "
        "SEND Regulations 2014), but the review and any change to the plan are the local "
        "authority's. For a child under 5, the local authority should consider a review every 3 "
        "to 6 months (9.178).",
        ("The local authority must review the plan at least every 12 months.", True),
        ("The local authority requires the headteacher to arrange the review meeting.", True),
        ("The school decides on its own whether to change the plan after the meeting.", False),
        ("Once issued, a plan is reviewed only when the pupil changes school.", False),
    ),
    _q(
        6,
        "Who may a mainstream school designate as its SENCO?",
        "The SENCO must be a qualified teacher working at the school, or the headteacher or "
        "acting headteacher (regulation 49 of the SEND Regulations 2014). A teacher with QTLS "
        "status who is a member of the Society for Education and Training counts as a qualified "
        "teacher. A teaching assistant, however experienced, cannot be the SENCO.",
        ("A teacher at the school with qualified teacher status (QTS)", True),
        (
            "A teacher at the school with QTLS status who is a member of the Society for "
            "Education and Training",
            True,
        ),
        ("The headteacher or acting headteacher", True),
        ("An experienced teaching assistant without qualified teacher status", False),
    ),
)


# --------------------------------------------------------------------------------------------
# In-tool module 2: Trauma-informed practice: the basics
# --------------------------------------------------------------------------------------------

_TIP_ACES = _md(
    """
## What we mean by trauma

Trauma describes the lasting effect of experiences that overwhelm a person's ability to cope and
leave them feeling unsafe or powerless. What happened matters, and so does how it was
experienced: whether it was repeated, and whether a safe adult was there to help. Two children
can go through similar events and be affected very differently.

## Adverse childhood experiences

"Adverse childhood experiences", often shortened to ACEs, is a term from public health
research. It usually refers to a set of potentially harmful experiences in childhood:

- abuse (physical, emotional or sexual) and neglect (physical or emotional)
- growing up in a household affected by domestic abuse, a parent's substance misuse or mental
  ill health, parental separation, or a family member in prison

Across large populations, research has found that more of these experiences are associated with
poorer health and wellbeing later in life. Two cautions matter in school:

- **ACEs describe patterns across populations, not individual futures.** Counting a child's
  ACEs cannot tell you how that child will get on. Many children who have faced adversity do
  well, especially when they have supportive relationships.
- **The list is not complete.** Bereavement, bullying, discrimination, poverty, serious illness,
  or fleeing war and seeking asylum can also be deeply stressful.

Schools should not ask pupils to fill in ACE questionnaires or try to work out a child's score.

## Developmental trauma

Developmental trauma describes the effect of repeated trauma, such as abuse or neglect, within
a child's close relationships early in life, when the adults who should offer safety are a
source of fear or are not available. Because it happens while a child's brain and stress
responses are developing, it can affect how they manage feelings, trust adults, concentrate and
make friends. It is a description used by many practitioners rather than a formal diagnosis.

Children in care, and children who have left care through adoption or special guardianship,
are more likely than most to have had early adversity. Your school's designated teacher for
looked-after and previously looked-after children can advise.

## Why this matters in school

You rarely know a child's full story, and you do not need to. Trauma-informed practice means
responding to all pupils in ways that build safety and trust. These approaches help every child;
for some, they make the difference between coping at school and not.
"""
)

_TIP_STRESS_RESPONSES = _md(
    """
## The body's alarm system

When the brain senses threat, it switches on survival responses automatically, faster than
conscious thought. Heart rate and breathing speed up, muscles tense, and the parts of the brain
we use for language, reasoning and learning become much harder to reach. This is useful in real
danger. In a classroom it can look like a child who suddenly cannot listen, think or explain
themselves.

For a child whose stress responses have been shaped by trauma, the alarm may go off more easily
and take longer to settle. Triggers can seem small to an adult: a raised voice, a sudden change
of plan, being touched, feeling embarrassed in front of others, a particular smell or sound.

## How it shows up in class

### Fight

Shouting, swearing, arguing back, throwing things, lashing out, or a strong need to be in
control. It can look like defiance.

### Flight

Leaving the room, running off, hiding under a table, repeatedly asking to go to the toilet,
avoiding work, or constant movement.

### Freeze

Going still or blank, not answering, seeming to switch off or ignore instructions. Freeze is
easily missed or mistaken for daydreaming or refusal.

Some pupils respond by **flopping** (shutting down completely) or by **appeasing**: becoming
anxious to please and doing whatever keeps adults calm. A quiet, compliant child may be
struggling as much as a loud one.

## The window of tolerance

Each of us has a zone in which we can cope with everyday stress, think clearly and learn. Too
much stress pushes us out of it, either **up** into agitation, anger or panic, or **down** into
numbness and withdrawal. Children who have experienced trauma often have a narrower window. Our
aim is to help them back into it in the moment and, through safe relationships over time, to
widen it.

> Behaviour is communication. Before asking "what is wrong with this child?", ask "what is
> happening for this child right now?"

## A note of care

Not every difficult behaviour comes from trauma. Unmet learning, communication or sensory needs,
illness, pain, tiredness and hunger all affect behaviour too. Share patterns you notice with the
SENCO or pastoral lead, and any welfare worry with the designated safeguarding lead.
"""
)

_TIP_SAFETY = _md(
    """
## Safety first

A child cannot learn while they feel unsafe. Safety here means physical safety and also emotional
safety: knowing what will happen, knowing the adults will stay calm, and knowing mistakes will
not lead to humiliation.

## Relationships

One of the most protective things in a child's life is a reliable relationship with a trusted
adult. That is built from small, repeated moments:

- greeting pupils by name at the door
- noticing and remembering things that matter to them
- staying warm and consistent, including after a hard day
- **repairing** after conflict: "I was sharp with you earlier. I'm sorry. Let's start again."

Many schools give pupils who need it a named key adult who checks in with them each day.

## Predictability

Uncertainty feels like threat to a child on high alert. You can reduce it:

- keep routines for the start and end of lessons and stick to them
- use visual timetables and give notice of changes (a cover teacher, a fire drill, a trip)
- prepare pupils for transitions: the start and end of the day, lunchtime, moving between rooms
- tell pupils what is going to happen next, and then do it

## Boundaries still matter

Trauma-informed does not mean anything goes. Clear, consistent boundaries, calmly held, are part
of what makes school feel safe. Follow your school's behaviour policy, including any adjustments
agreed for individual pupils, and apply consequences without shaming: privately where possible,
and focused on putting things right.

## Co-regulation

Children learn to manage their feelings by first having them managed alongside a calm adult.
This is **co-regulation**: your steady voice, slow pace and relaxed posture help a distressed
child's body settle. A useful order of steps is often summarised as **regulate, relate, reason**:

1. **Regulate**: help the child calm their body first.
2. **Relate**: connect with them, so they know you are on their side.
3. **Reason**: only then talk about what happened and what to do next.

Trying to reason with a child who is still in fight, flight or freeze rarely works, because the
parts of the brain needed for reasoning are not yet available.
"""
)

_TIP_DEESCALATION = _md(
    """
## Your body speaks first

When a pupil is becoming distressed, how you stand and sound matters more than what you say.

- Slow down. Lower your voice and your pace.
- Stand side-on rather than face to face, at a little distance, and at or below the pupil's eye
  level if you can do so safely.
- Give space. Never block a doorway or corner a pupil.
- Do not insist on eye contact.

## Fewer words

A stressed brain cannot process long explanations. Use short, simple sentences and be willing to
repeat them calmly.

## Phrases that help

- Name what you see, without blame: "I can see you're really angry. I'm here to help."
- Offer a limited choice: "Do you want to sit by the window or at the back table?"
- Reassure: "You're not in trouble right now. Let's get you calm first."
- Offer a way out that saves face: "Come and help me with these books."
- Give take-up time: make the request, then step away and give the pupil a moment.

## Phrases that tend to escalate

- "Calm down!" (said to someone who cannot, it feels like criticism)
- "Why did you do that?" (a child in distress often does not know, and "why" sounds like
  blame)
- sarcasm, threats, countdowns or ultimatums delivered in front of the class
- arguing about secondary behaviour in the moment, such as muttering or a slow walk

Deal with those later, once everyone is calm.

## After the incident

When the pupil is calm, and not before:

- reconnect, so the pupil knows the relationship is intact
- talk it through together: what happened, what they were feeling, what might help next time
- put things right with anyone affected
- record the incident and let colleagues know, following your school's procedures

## Physical intervention

Any physical intervention must follow your school's policy and the Department for Education's
guidance on the use of reasonable force, and should be a last resort. If restraint is part of a
pupil's plan, only staff trained for it should use it.
"""
)

_TIP_YOURSELF = _md(
    """
## This work affects adults too

Supporting distressed children, and hearing about what some of them have lived through, can take
a toll. This is sometimes called **secondary** or **vicarious trauma**. It is a normal human
response, not a sign that you are unsuited to the work.

Signs to watch for in yourself and colleagues include:

- finding it hard to stop thinking about a pupil's situation
- sleeping badly, feeling on edge or irritable
- dreading particular lessons or pupils
- feeling numb, detached or cynical
- withdrawing from colleagues, friends or family

## Your own window of tolerance

You cannot help a child regulate while you are dysregulated yourself. Notice your own early
signs of stress, such as a tight chest, a raised voice or the urge to win an argument. It is
professional, not a failure, to hand over to a colleague. Agree a simple phrase with your team
in advance, for example "Can I help with anything here?", that signals "I can take over".

Some situations may stir up your own experiences. That is common, and it is a good reason to
talk to someone you trust.

## After a hard day or a difficult incident

- Talk it through with a colleague or your line manager; do not carry it alone.
- Ask about supervision or reflective sessions. Many schools offer them, especially for
  pastoral staff and designated safeguarding leads.
- Use your school's wellbeing support and any employee assistance programme.
- See your GP if you are struggling with your own health.

## The basics are not optional

Take your breaks. Eat, drink water and get outside when you can. Keep some boundaries between
work and home. None of this is a luxury: steady adults are what children need most, and you can
only offer steadiness if you are looked after too.

## You are not alone with safeguarding worries

If something a pupil has said or done worries you, passing it to the designated safeguarding
lead is both the right procedure and a relief: the responsibility for what happens next is then
shared by people trained to hold it. The next page covers how.
"""
)

_TIP_SAFEGUARDING = _md(
    """
## Trauma-informed practice does not replace safeguarding

Trauma-informed practice does **not** replace your school's safeguarding and child protection
procedures, and it is never a reason to wait and see. *Keeping children safe in education*
(KCSIE), the Department for Education's statutory guidance, is clear that safeguarding is
everyone's responsibility. Every member of staff who works directly with children should read
at least Part one of it; staff who do not work directly with children may read Annex A, a
condensed version of Part one, instead. Your school will tell you which applies to you.

## If you are worried about a child

- Act on your concern straight away. Follow your school's child protection policy and speak to
  the **designated safeguarding lead (DSL)** or a deputy.
- If a child is in immediate danger or at risk of harm, a referral should be made to children's
  social care and/or the police immediately. Anyone can make a referral; tell the DSL as soon as
  possible.
- Children may not feel ready, or know how, to tell someone they are being harmed, and they may
  not recognise what is happening as harmful. A change in behaviour may be the only sign.

Behaviour that looks like a trauma response may be a sign of harm that is happening **now**, not
only in the past. Never assume someone else has already reported it.

## If a child tells you something

- Stay calm and listen. Let them speak in their own words, and reassure them that they are
  being taken seriously.
- Do not ask leading questions or try to investigate. That is not your role.
- **Do not promise to keep it secret.** Explain that you will need to tell someone whose job is
  to help keep them safe.
- Write down what was said as soon as possible, in the child's words, with the date and time,
  and pass it to the DSL without delay, in line with your school's procedures.

## Other boundaries to keep

- Do not go looking for a child's history. The DSL shares information on a need-to-know basis.
- Do not diagnose. Share what you have observed with the DSL, the SENCO or the mental health
  lead.
- If your concern is about an adult's conduct, follow your school's procedures for concerns
  about staff: tell the headteacher, or the chair of governors if it is about the headteacher.

## Key points from this module

- Fight, flight and freeze are survival responses, not choices.
- Safety, relationships, predictability and calm adults help children regulate.
- Boundaries remain, held calmly and without shame.
- Any welfare concern goes to the DSL, straight away.
"""
)

_TIP_QUESTIONS = (
    _q(
        1,
        "Which of these statements about adverse childhood experiences (ACEs) are accurate?",
        "ACEs research describes patterns across large populations. It cannot predict how an "
        "individual child will get on, and supportive relationships make a real difference. "
        "Schools should not ask pupils to complete ACE questionnaires or work out a score.",
        ("ACEs include abuse, neglect and growing up with domestic abuse at home.", True),
        ("Supportive relationships with trusted adults can help protect children.", True),
        ("A child's ACE score tells you how that child will do later in life.", False),
        ("Schools should ask pupils to complete an ACE questionnaire.", False),
    ),
    _q(
        2,
        "Which of these could be signs of a freeze response in the classroom?",
        "Freeze can look like going still or blank, not answering, or seeming to ignore "
        "instructions. Because it is quiet, it is easily missed or mistaken for daydreaming or "
        "refusal. Shouting and running out of the room are more typical of fight and flight.",
        ("Going still and blank, and not answering when spoken to", True),
        ("Appearing to ignore an instruction, as if they had not heard it", True),
        ("Shouting and throwing a pencil case", False),
        ("Running out of the classroom", False),
    ),
    _q(
        4,
        "A pupil is extremely distressed, shouting and pacing. What should you do first?",
        "A child in fight or flight cannot reason yet. The first step is to help them regulate: "
        "a calm voice, few words, space and a way out. Relate and reason come after (regulate, "
        "relate, reason).",
        (
            "Stay calm, lower your voice, use few words, give them space and offer a way to "
            "calm down.",
            True,
        ),
        ("Ask them to explain why they are behaving like this.", False),
        ("Explain in detail the consequences they will face under the behaviour policy.", False),
        ("Stand close and insist that they look at you while you speak.", False),
    ),
    _q(
        4,
        "Which of these phrases are most likely to help de-escalate a situation?",
        "Naming the feeling without blame and offering a limited choice both lower the sense of "
        'threat and give the pupil some control. "Calm down!" and "why" questions tend to '
        "feel like criticism to a child who cannot calm down or explain in that moment.",
        ("\"I can see you're really upset. I'm here to help.\"", True),
        ('"Do you want to sit by the window or at the back table?"', True),
        ('"Calm down right now!"', False),
        ('"Why do you always do this?"', False),
    ),
    _q(
        3,
        "What does co-regulation mean?",
        "Co-regulation is how children learn to manage their feelings: a calm, attuned adult "
        "helps a distressed child's body settle. It is not isolation or a reward scheme.",
        (
            "An adult's calm, steady presence helping a distressed child to settle.",
            True,
        ),
        ("Leaving a pupil alone until they have calmed themselves down.", False),
        ("Two pupils agreeing their own classroom rules.", False),
        ("Rewarding a pupil for staying calm for a whole lesson.", False),
    ),
    _q(
        3,
        "Does being trauma-informed mean a school stops using boundaries and consequences?",
        "No. Clear, consistent boundaries are part of what makes school feel safe and "
        "predictable. Trauma-informed practice changes how they are held: calmly, without "
        "shaming, with any agreed adjustments, and with a focus on repair.",
        (
            "No: clear, consistent boundaries help pupils feel safe; they are held calmly and "
            "without shaming.",
            True,
        ),
        (
            "Yes: consequences should never be used with pupils who may have experienced trauma.",
            False,
        ),
        ("Yes, but only for pupils who have a formal diagnosis.", False),
    ),
    _q(
        6,
        "During a lesson, a pupil tells you something that makes you worried they are being "
        "harmed at home. What should you do?",
        "Keeping children safe in education is clear: listen, do not investigate or ask leading "
        "questions, never promise confidentiality, record what was said in the child's words and "
        "pass it to the designated safeguarding lead without delay, following your school's "
        "child protection policy.",
        ("Listen calmly and let them speak in their own words.", True),
        ("Explain that you cannot keep it a secret and will tell someone who can help.", True),
        ("Write down what they said in their words and tell the DSL straight away.", True),
        ("Ask detailed questions to find out exactly what happened.", False),
        ("Wait to see whether anything else happens before telling anyone.", False),
    ),
    _q(
        6,
        "How much of Keeping children safe in education should a teaching assistant who works "
        "with pupils every day read?",
        "Everyone who works directly with children should read at least Part one of Keeping "
        "children safe in education. Staff who do not work directly with children may read "
        "Annex A, a condensed version of Part one, instead.",
        ("At least Part one, because they work directly with children", True),
        ("Only Annex A, the condensed version", False),
        ("None of it: safeguarding is the DSL's job", False),
    ),
    _q(
        5,
        "A colleague says they can't stop thinking about a pupil's situation and are sleeping "
        "badly. What is the most helpful response?",
        "These can be signs of secondary (vicarious) trauma, a normal response to this work. "
        "Encourage them to talk it through and use the support available, such as supervision, "
        "their line manager, wellbeing support or an employee assistance programme.",
        (
            "Encourage them to talk to their line manager and use the school's supervision or "
            "wellbeing support.",
            True,
        ),
        ("Tell them it is part of the job and they should be able to cope.", False),
        ("Suggest they find out more about the pupil's history so they understand it.", False),
    ),
)


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


def _by_1_september(validity_months: int | None) -> SuggestedRule:
    """Due by 1 September each academic year (the first INSET day, near enough)."""
    return {
        "due_rule": "fixed_date",
        "due_month": 9,
        "due_day": 1,
        "validity_months": validity_months,
    }


def _after_start(days: int, validity_months: int | None) -> SuggestedRule:
    """Due within ``days`` of the person's start date at the school."""
    return {"due_rule": "days_after_start", "due_days": days, "validity_months": validity_months}


#: The day every module below was last checked against the law and guidance it cites.
REVIEWED_ON = dt.date(2026, 12, 7)

#: Proposals published but not law: the Schools White Paper (23 February 2026) and the SEND
#: reform consultation. Stated at the level of what they propose changes to, nothing more.
_PROPOSALS = (
    "The Schools White Paper of 23 February 2026 and the government's SEND reform "
    "consultation propose changes to {what}. These are proposals, not law: until Parliament "
    "changes the law, {current} still apply, and this module will be reviewed when the "
    "changes are decided."
)
_SEND_LAW = "the SEND Code of Practice (2015) and the SEND Regulations 2014"


def _proposed(what: str, current: str = _SEND_LAW) -> str:
    return f"As at {_uk_date(REVIEWED_ON)}: " + _PROPOSALS.format(what=what, current=current)


def _uk_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _reviewed(module: SeedModule) -> SeedModule:
    """The module with its review date (and any proposals) set and told in its summary."""
    reviewed = module.reviewed_on or REVIEWED_ON
    summary = f"{module.summary} Last reviewed {_uk_date(reviewed)}."
    if module.proposed_changes:
        summary += f" {module.proposed_changes}"
    return replace(module, summary=summary, reviewed_on=reviewed)


_MODULES: tuple[SeedModule, ...] = (
    # SEND Code of Practice and the graduated approach: all staff, yearly (local policy).
    SeedModule(
        slug="send-code-of-practice-essentials",
        title="SEND Code of Practice essentials",
        summary=(
            "What every member of staff needs to know about the SEND Code of Practice: who has "
            "SEN, the four broad areas of need, and the graduated approach of assess, plan, do, "
            "review. Covers the teacher's responsibility for pupils with SEND, SEN support and "
            "EHC plans, working with parents and pupils, and the SENCO's role."
        ),
        category=SEND_FRAMEWORK,
        tier=Tier.AWARENESS,
        delivery=Delivery.IN_TOOL,
        cpd_hours=Decimal("1.5"),
        provider=None,
        list_price_pence=None,
        default_validity_months=12,
        pass_mark_percent=80,
        pages=(
            SeedPage("Who has SEND: definitions and the four areas of need", _COP_WHO_HAS_SEND),
            SeedPage("The graduated approach: assess, plan, do, review", _COP_GRADUATED_APPROACH),
            SeedPage("Every teacher is a teacher of SEND", _COP_EVERY_TEACHER),
            SeedPage("SEN support and EHC plans", _COP_SUPPORT_AND_PLANS),
            SeedPage("Working with parents, carers and pupils", _COP_PARENTS_AND_PUPILS),
            SeedPage("The SENCO's role", _COP_SENCO_ROLE),
        ),
        questions=_COP_QUESTIONS,
        suggested_rule=_by_1_september(12),
        proposed_changes=_proposed(
            "the SEND system in England, including SEN support "
            "in schools and education, health and care plans"
        ),
    ),
    # Ordinarily available provision: all staff, renewed when the LA reissues its document.
    SeedModule(
        slug="ordinarily-available-provision",
        title="Ordinarily available provision: the local authority's guidance",
        summary=(
            "A briefing on the local authority's ordinarily available provision document: the "
            "support and adjustments every school in the area is expected to provide from its "
            "own resources before seeking additional funding or specialist help. Staff leave "
            "knowing what the document expects of their classroom and where to find it."
        ),
        category=SEND_FRAMEWORK,
        tier=Tier.AWARENESS,
        delivery=Delivery.INSET,
        cpd_hours=Decimal("1.5"),
        provider=LA_SEND_TEAM,
        list_price_pence=None,
        # Renewed when the local authority reissues its document, not on a fixed cycle.
        default_validity_months=None,
        suggested_rule=_after_start(90, None),
        proposed_changes=_proposed(
            "the SEND system in England, including what schools "
            "are expected to provide from their own resources"
        ),
    ),
    # Trauma-informed practice: all staff; senior leads; practitioner diploma. None stated.
    SeedModule(
        slug="trauma-informed-practice-basics",
        title="Trauma-informed practice: the basics",
        summary=(
            "An introduction for all staff to adverse childhood experiences and developmental "
            "trauma, and how stress responses such as fight, flight and freeze show up in class. "
            "Covers safety, relationships, co-regulation and de-escalation, looking after "
            "yourself, and why every welfare concern still goes to the designated safeguarding "
            "lead."
        ),
        category=SEMH,
        tier=Tier.AWARENESS,
        delivery=Delivery.IN_TOOL,
        cpd_hours=Decimal("1.5"),
        provider=None,
        list_price_pence=None,
        default_validity_months=None,
        pass_mark_percent=80,
        pages=(
            SeedPage("Adverse childhood experiences and developmental trauma", _TIP_ACES),
            SeedPage("Stress responses in the classroom", _TIP_STRESS_RESPONSES),
            SeedPage("Safety, relationships and predictability", _TIP_SAFETY),
            SeedPage("Responding in the moment: de-escalation", _TIP_DEESCALATION),
            SeedPage("Looking after yourself", _TIP_YOURSELF),
            SeedPage("Safeguarding comes first", _TIP_SAFEGUARDING),
        ),
        questions=_TIP_QUESTIONS,
        suggested_rule=_after_start(90, None),
    ),
    SeedModule(
        slug="trauma-informed-practice-senior-leaders",
        title="Trauma-informed practice for senior leaders",
        summary=(
            "For senior and pastoral leaders planning a whole-school, trauma-informed approach. "
            "Looks at how policy, behaviour systems, staff training and supervision fit together, "
            "and how to evaluate the difference the approach makes for pupils."
        ),
        category=SEMH,
        tier=Tier.ENHANCED,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("6"),
        provider=EP_SERVICE,
        list_price_pence=22_500,
        default_validity_months=None,
        suggested_roles=("leader", "senco"),
    ),
    SeedModule(
        slug="trauma-informed-practitioner-diploma",
        title="Trauma-informed practitioner diploma",
        summary=(
            "An accredited, multi-day practitioner course for staff who will lead trauma-informed "
            "work in school, such as a pastoral lead, learning mentor or mental health lead. "
            "Participants build skills in relational support and co-regulation, complete "
            "supervised casework with individual pupils, and learn to support colleagues."
        ),
        category=SEMH,
        tier=Tier.SPECIALIST,
        delivery=Delivery.QUALIFICATION,
        cpd_hours=Decimal("60"),
        provider=MENTAL_HEALTH_TRAINER,
        # Fee varies by provider: the CPD lead records the actual price.
        list_price_pence=None,
        default_validity_months=None,
        suggested_roles=("senco", "teaching_assistant", "support_staff"),
    ),
    # Specific learning difficulties: teachers and TAs; specialist teacher. Local policy.
    SeedModule(
        slug="spld-in-the-classroom",
        title="Specific learning difficulties in the classroom: dyslexia, dyscalculia and DCD",
        summary=(
            "A specialist-led INSET day on recognising and supporting pupils with dyslexia, "
            "dyscalculia and developmental co-ordination disorder (DCD, often called "
            "dyspraxia). Teachers and teaching assistants practise classroom strategies for "
            "reading, writing, number and organisation that help all pupils."
        ),
        category=COGNITION,
        tier=Tier.ENHANCED,
        delivery=Delivery.INSET,
        cpd_hours=Decimal("6"),
        provider=SPECIALIST_TEACHER_SERVICE,
        list_price_pence=47_500,
        default_validity_months=36,
        suggested_roles=("teacher", "teaching_assistant"),
        suggested_rule=_after_start(365, 36),
    ),
    SeedModule(
        slug="spld-specialist-teacher",
        title="Specific learning difficulties: specialist teaching and assessment",
        summary=(
            "A postgraduate-level course for teachers who will become the school's specialist in "
            "specific learning difficulties. It covers structured, multisensory teaching of "
            "literacy and numeracy and the standardised assessment of learners, and can lead to "
            "an assessment practising certificate for diagnostic assessment, which is renewed "
            "every three years with evidence of continuing professional development."
        ),
        category=COGNITION,
        tier=Tier.SPECIALIST,
        delivery=Delivery.QUALIFICATION,
        cpd_hours=Decimal("100"),
        provider=SPLD_COURSE_PROVIDER,
        # Fee varies by provider: the CPD lead records the actual price.
        list_price_pence=None,
        # The assessor's practising certificate is renewed every 3 years.
        default_validity_months=36,
        suggested_roles=("teacher", "senco"),
    ),
    # Effective behaviour management / de-escalation: 24 months (6 h), 12 months (12 h).
    SeedModule(
        slug="behaviour-de-escalation-6h",
        title="Effective behaviour management and de-escalation (6-hour level)",
        summary=(
            "Accredited training for all staff in preventing and de-escalating difficult "
            "situations: understanding behaviour as communication, calm body language and "
            "words, and working as a team. Includes the law and DfE guidance on reasonable "
            "force; renewal every two years keeps certification current."
        ),
        category=BEHAVIOUR,
        tier=Tier.AWARENESS,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("6"),
        provider=BEHAVIOUR_TRAINER,
        list_price_pence=12_500,
        default_validity_months=24,
        # The certificate runs 24 months from the day of the course, not from 1 September:
        # due within a term of starting, then renewed 24 months after each completion.
        suggested_rule=_after_start(90, 24),
    ),
    SeedModule(
        slug="behaviour-de-escalation-12h",
        title="Effective behaviour management, de-escalation and positive handling (12-hour level)",
        summary=(
            "The 12-hour accredited level for staff who may need to use positive handling as a "
            "last resort, such as those supporting pupils whose plans include it. Builds on "
            "de-escalation with risk assessment, safer physical intervention techniques and "
            "post-incident support; certification must be renewed every year."
        ),
        category=BEHAVIOUR,
        tier=Tier.ENHANCED,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("12"),
        provider=BEHAVIOUR_TRAINER,
        list_price_pence=24_000,
        default_validity_months=12,
        suggested_roles=("teaching_assistant", "support_staff", "leader"),
        suggested_rule=_after_start(90, 12),
    ),
    # Speech, language and communication needs: TAs, lead practitioners. 3 years.
    SeedModule(
        slug="slcn-supporting-pupils",
        title="Speech, language and communication needs: supporting pupils in school",
        summary=(
            "Training from speech and language therapists for teaching assistants who support "
            "pupils with speech, language and communication needs. Covers how to spot "
            "difficulties with understanding and talking, adapting adult language, and "
            "delivering therapy targets in everyday school activities."
        ),
        category=COMMUNICATION,
        tier=Tier.ENHANCED,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("6"),
        provider=SALT_SERVICE,
        list_price_pence=15_000,
        default_validity_months=36,
        suggested_roles=("teaching_assistant",),
        suggested_rule=_after_start(365, 36),
    ),
    SeedModule(
        slug="slcn-lead-practitioner",
        title="Speech, language and communication needs: lead practitioner",
        summary=(
            "A two-day course for the member of staff who will lead communication support across "
            "the school. Participants learn to screen pupils' language, run evidence-informed "
            "small-group interventions, coach colleagues, and work with the speech and language "
            "therapy service on referrals and targets."
        ),
        category=COMMUNICATION,
        tier=Tier.SPECIALIST,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("12"),
        provider=SALT_SERVICE,
        list_price_pence=32_000,
        default_validity_months=36,
        suggested_roles=("teaching_assistant", "teacher", "senco"),
    ),
    # Autism: awareness, good practice, leading practice. None stated.
    SeedModule(
        slug="autism-awareness",
        title="Autism awareness",
        summary=(
            "A half-day session for all staff on what autism is and how autistic pupils may "
            "experience school differently, including communication, sensory processing and "
            "the need for predictability. Staff leave with simple adjustments they can make in "
            "any lesson, corridor or lunch hall."
        ),
        category=AUTISM,
        tier=Tier.AWARENESS,
        delivery=Delivery.INSET,
        cpd_hours=Decimal("3"),
        provider=AUTISM_OUTREACH,
        list_price_pence=40_000,
        default_validity_months=None,
        suggested_rule=_after_start(180, None),
    ),
    SeedModule(
        slug="autism-good-practice",
        title="Autism: good practice",
        summary=(
            "For teachers and teaching assistants who work directly with autistic pupils. Covers "
            "understanding the individual pupil through a one-page profile, adapting the "
            "environment and teaching, supporting communication and emotional wellbeing, and "
            "working in partnership with families."
        ),
        category=AUTISM,
        tier=Tier.ENHANCED,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("6"),
        provider=AUTISM_OUTREACH,
        list_price_pence=18_000,
        default_validity_months=None,
        suggested_roles=("teacher", "teaching_assistant"),
    ),
    SeedModule(
        slug="autism-leading-practice",
        title="Autism: leading practice",
        summary=(
            "For SENCOs and leaders responsible for autism provision across a school or trust. "
            "Covers auditing whole-school practice, planning staff development, reviewing "
            "policies for reasonable adjustments, and evaluating outcomes with autistic pupils "
            "and their families."
        ),
        category=AUTISM,
        tier=Tier.SPECIALIST,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("12"),
        provider=AUTISM_OUTREACH,
        list_price_pence=36_000,
        default_validity_months=None,
        suggested_roles=("senco", "leader"),
    ),
    # Working with families: SENCO, pastoral and key staff. Local.
    SeedModule(
        slug="working-with-families",
        title="Working with families: mediation and collaborative communication",
        summary=(
            "For SENCOs, pastoral leads and other staff who hold difficult conversations with "
            "parents and carers of pupils with SEND. Practises listening, managing strong "
            "feelings, agreeing shared outcomes and resolving disagreements early, and explains "
            "the formal mediation and disagreement resolution routes."
        ),
        category=FAMILIES,
        tier=Tier.ENHANCED,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("6"),
        provider=MEDIATION_SERVICE,
        list_price_pence=19_500,
        default_validity_months=None,
        suggested_roles=("senco", "leader", "support_staff"),
        proposed_changes=_proposed(
            "the SEND system in England, including how "
            "disagreements between families and local authorities are resolved"
        ),
    ),
    # Early language and communication interventions: early years and KS1 staff. Local.
    SeedModule(
        slug="early-language-interventions",
        title="Early language and communication interventions (EYFS and KS1)",
        summary=(
            "Training for early years and Key Stage 1 staff in delivering a structured oral "
            "language programme to small groups and individual children. Covers assessing "
            "children's language, running sessions with fidelity, and tracking progress to "
            "decide who needs further support."
        ),
        category=COMMUNICATION,
        tier=Tier.ENHANCED,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("6"),
        provider=SALT_SERVICE,
        list_price_pence=16_500,
        default_validity_months=None,
        suggested_roles=("teacher", "teaching_assistant"),
    ),
    # SEND for leaders and governors: SLT, governors, trust leaders. Local.
    SeedModule(
        slug="send-for-school-and-trust-leaders",
        title="SEND for school and trust leaders: strategy, duties and oversight",
        summary=(
            "For senior leaders and trust leaders accountable for inclusion. Covers the statutory "
            "duties on schools, using the notional SEN budget and other resources well, "
            "evaluating the quality of SEN support, and supporting the SENCO as a strategic "
            "leader."
        ),
        category=LEADERSHIP,
        tier=Tier.ENHANCED,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("6"),
        provider=TEACHING_SCHOOL_HUB,
        list_price_pence=25_000,
        default_validity_months=None,
        suggested_roles=("leader",),
        proposed_changes=_proposed(
            "the SEND system in England, including the duties on "
            "schools and trusts and how SEN provision is funded"
        ),
    ),
    SeedModule(
        slug="send-for-governors",
        title="SEND for governors and trustees",
        summary=(
            "An evening session for governors and trustees on their responsibilities for pupils "
            "with SEND, including the SEN information report, the SENCO requirement and the "
            "Equality Act duties. Suggests the questions boards should ask to hold leaders to "
            "account for inclusion."
        ),
        category=LEADERSHIP,
        tier=Tier.AWARENESS,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("2.5"),
        provider=GOVERNOR_SERVICES,
        list_price_pence=10_000,
        default_validity_months=None,
        suggested_roles=("governor",),
        suggested_rule=_after_start(365, None),
        proposed_changes=_proposed(
            "the SEND system in England, including the duties "
            "of school boards and trusts for pupils with SEND"
        ),
    ),
    # NPQ for SENCOs: once; statutory deadline (tracked by the SENCO qualification rules).
    SeedModule(
        slug="npq-for-sencos",
        title="NPQ for SENCOs",
        summary=(
            "The National Professional Qualification for SENCOs, the mandatory SENCO "
            "qualification for any course started on or after 1 September 2024. It is taught "
            "over about 18 "
            "months, with up to 4 more months for the assessment outcome, so a new SENCO should "
            "enrol early enough to finish within three years of taking up the post."
        ),
        category=SENCO_QUALIFICATION,
        tier=Tier.SPECIALIST,
        delivery=Delivery.QUALIFICATION,
        # DfE: an average of 1 to 2 hours of study a week over 18 months; recorded at 1.5 h a
        # week for 78 weeks.
        cpd_hours=Decimal("117"),
        provider=NPQ_LEAD_PROVIDER,
        # Scholarships cover the fee for state schools (places are capped); otherwise the lead
        # provider's fee applies.
        list_price_pence=None,
        default_validity_months=None,
        suggested_roles=("senco",),
        # The deadline is statutory (the third anniversary of becoming SENCO, with exemptions)
        # and is tracked by the SENCO qualification rules, not by a requirement.
        suggested_rule=None,
        proposed_changes=_proposed(
            "the SEND system in England, which may affect the SENCO role",
            current=(
                "regulation 49 of the SEND Regulations 2014 and its SENCO qualification deadline"
            ),
        ),
    ),
)

CATALOGUE: tuple[SeedModule, ...] = tuple(_reviewed(m) for m in _MODULES)
