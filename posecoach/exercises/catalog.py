"""The exercise catalogue, from the five seed articles (see ``../shared/seeds/README.md``).

Each entry is data read by the one engine. Slugs are part of the CLI contract. Thresholds are
relative to the person's own rest position and range wherever possible; absolute numbers are kept
for form limits, in degrees or torso lengths.

Signals (see :mod:`posecoach.features`): ``hip_flexion`` is 0° with the thigh in line with the
trunk and 90° with it square to the trunk, negative past straight (extension); ``trunk_incline``
is the trunk's angle above the horizontal; ``chest_facing`` is +90° lying on the back and -90°
face down.
"""

from __future__ import annotations

from dataclasses import replace

from posecoach.errors import UnknownExerciseError
from posecoach.exercises.definition import (
    Dose,
    Exercise,
    FormRule,
    HoldSpec,
    Kind,
    NearOwnLimit,
    Posture,
    RepSpec,
    SideMode,
    Sightline,
    Source,
    View,
    WarningCode,
    Within,
)
from posecoach.features import LYING_CHEST

SEED_000 = "000 Best Psoas Muscle Pain Exercises to Relieve Pain Permanently"
SEED_001 = "001 7 Best Psoas Muscle Exercises"
SEED_002 = "002 7 Secrets to Heal the Psoas Muscle"
SEED_003 = "003 5 Tight Psoas Exercises for Lasting Relief"
SEED_004 = "004 How to Heal the Psoas Muscle: Relief & Recovery"

# ---------------------------------------------------------------- postures
# World landmarks follow the camera's axes: filmed along the body from the head or the feet by a camera
# looking down, a flat trunk reads tilted by the camera's pitch (-55 deg from the head, +50 from the
# feet, rendered clips); the chest still faces up, which is what tells lying from sitting up.
ON_THE_BACK = (Within("chest_facing", LYING_CHEST, 90), Within("trunk_incline", -60, 55))
SUPINE = Posture("lying on your back", ON_THE_BACK)
SUPINE_KNEES_BENT = Posture("lying on your back, knees bent", (*ON_THE_BACK, Within("knee_flexion.both", 35, 180)))
# A bridge's own lift tips the trunk (hips above shoulders) and turns the chest toward the head: from
# the head end, with the camera's pitch, the top reads -73 deg and a chest 12 deg from level (rendered
# clips), past the lying bounds, and a held top was taken for getting up. Staying in a bridge asks only
# that the chest does not face down or sideways; lying back is asked for where the position begins.
IN_A_BRIDGE = (Within("chest_facing", 0, 90), Within("trunk_incline", -90, 55), Within("knee_flexion.both", 35, 180))
# Generous: world landmarks follow the camera's axes, so a laptop looking down (or a phone on the
# floor looking up) tilts an upright trunk by 20-30°.
STANDING = Posture("standing", (Within("trunk_incline", 45, 90),))
# Upright is what the camera can judge: the arms are overhead on a bar but down on a captain's
# chair's pads, so they say nothing about the position.
HANGING = Posture("hanging from a bar or on a captain's chair", (Within("trunk_incline", 45, 90),))
# Trunk incline reaches -30° and beyond in front views, where MediaPipe's depth is least certain.
# On the toes, not the knees: on all fours both knees read 95-110 deg. Fast mountain climbers keep
# the back knee a little bent too (real clips: under 70 deg in 97% of frames, venkat).
FRONT_SUPPORT = Posture("in a plank", (Within("chest_facing", -90, -30), Within("trunk_incline", -45, 45),
                                      Within("knee_flexion.least_bent", 0, 70)))
# The knees say where a bird-dog starts, not whether it goes on: the reach straightens one knee, and
# filmed obliquely the kneeling knee reads 36-45 deg with it (rendered clips). Dropping to the knees
# does end a plank, so there they stay a condition.
ALL_FOURS = Posture(
    "on hands and knees",
    (Within("chest_facing", -90, -30), Within("trunk_incline", -30, 35)),
    to_enter=(Within("knee_flexion.most_bent", 45, 180),),
)
SIDE_LYING = Posture("lying on your side", (Within("pelvis_vertical", 40, 90), Within("trunk_incline", -35, 50)))
SEATED_LEANING_BACK = Posture(
    "sitting, leaning back (or a hollow-body V)", (Within("trunk_incline", 4, 80), Within("chest_facing", -5, 90))
)
KNEELING_UPRIGHT = Posture("kneeling upright", (Within("trunk_incline", 45, 90),))
SIT_UP_POSITION = Posture(
    "lying on your back, knees bent",
    (Within("chest_facing", -10, 90), Within("knee_flexion.both", 35, 180), Within("trunk_incline", -60, 95)),
)

SIDE_PLANK_MIN_LIFT = 0.32
"""Hips at least this high above the lower elbow-to-ankle line (torso lengths) are lifted into a side plank."""
SIDE_PLANK_SAG = 0.1
"""Hips this much lower than where the side plank started (torso lengths) are sagging."""

# ---------------------------------------------------------------- form rules used by several exercises
BACK_LIFTING = FormRule(
    WarningCode.BACK_LIFTING, "Keep your back on the floor: brace your belly and press your lower back down.",
    "trunk_incline", above=15.0, relative=True, min_s=0.3, sightline=Sightline.ACROSS_BODY,
)
PELVIS_ROCKING = FormRule(
    WarningCode.PELVIS_ROCKING, "Keep your pelvis still: don't let your hips rock side to side.",
    "pelvis_tilt", above=14.0, below=-14.0, relative=True, min_s=0.3, sightline=Sightline.HIPS_APART,
)
# Relative to the line the person held at the start: MediaPipe reads a straight plank anywhere
# from about 0° to +15° depending on build and camera, so an absolute limit would misjudge.
HIPS_SAGGING = FormRule(
    WarningCode.HIPS_SAGGING, "Your hips are sagging: squeeze your glutes and lift them in line with your shoulders.",
    "body_line", below=-12.0, relative=True, phase="work", min_s=0.6,
)
# With the feet out of the frame (or the ankles hidden) the body line cannot be read, but a sag still
# shows: the shoulders stay over the arms while the hips drop, so the trunk tilts up from where the
# hold began (rendered sags: 10-15 deg).
HIPS_SAGGING_TRUNK = FormRule(
    WarningCode.HIPS_SAGGING, HIPS_SAGGING.message, "trunk_incline", above=10.0, relative=True, phase="work",
    min_s=0.6,
)
HIPS_PIKING = FormRule(
    WarningCode.HIPS_PIKING, "Your hips are too high: lower them into one straight line from shoulders to heels.",
    "body_line", above=15.0, relative=True, phase="work", min_s=0.6,
)
# A knee lift stands on the other leg. At the top of a reverse lunge, whose front hip flexes like a
# knee lift, the back leg reaches behind the body (hip extended past -20°). The stance knee cannot
# tell them apart: in fast high knees it reads 40-80° bent at the other leg's top.
ON_THE_OTHER_LEG = (Within("hip_flexion.{other}", -20, 180),)
KNEE_BELOW_HIP = FormRule(
    WarningCode.KNEE_BELOW_HIP, "Bring your knee up to hip height.", "peak", below=75.0, absolute=True,
    sightline=Sightline.SIDE_ON,
)
TRUNK_ROTATING = FormRule(
    WarningCode.TRUNK_ROTATING, "Keep your hips square: don't let your trunk rotate as the limb moves.",
    "pelvis_tilt", above=15.0, below=-15.0, relative=True, min_s=0.3, sightline=Sightline.HIPS_APART,
)

EXERCISES: tuple[Exercise, ...] = (
    # ------------------------------------------------------------ reps
    Exercise(
        "lying-leg-raise", "Lying leg raise", Kind.REPS, SUPINE,
        # A rehab straight-leg raise is often held 10-12 s at the top: a rep may take half a minute.
        rep=RepSpec("hip_flexion.both", min_excursion=25, nominal_range=75, min_rep_s=0.8, max_rep_s=30),
        form=(BACK_LIFTING, PELVIS_ROCKING),
        program=Dose(sets=3, reps=10, rest_s=60),
        cues=("Lie on your back, legs straight.", "Lift both legs together, lower them slowly.",
              "Keep your pelvis stable and your back on the floor."),
        source=Source(SEED_001, "#2 Lying leg raise: lift straight legs, keep the pelvis stable"),
    ),
    Exercise(
        "hanging-leg-raise", "Hanging leg raise", Kind.REPS, HANGING,
        rep=RepSpec("hip_flexion.both", min_excursion=30, nominal_range=80, min_rep_s=0.8),
        form=(FormRule(WarningCode.LEGS_SWINGING, "Stop the swing: pause at the bottom before the next lift.",
                       "trunk_incline", above=12.0, below=-12.0, relative=True, min_s=0.3),),
        views=(View.SIDE, View.OBLIQUE, View.FRONT),
        program=Dose(sets=3, reps=8),
        cues=("Hang from a bar, lift your legs without swinging.",),
        source=Source(SEED_002, "#4 Hanging leg lifts"),
    ),
    Exercise(
        "lying-march", "Lying march (dead-bug legs)", Kind.REPS, SUPINE, sides=SideMode.EACH,
        # One leg straightens while the other stays up: lying down, putting the feet down or getting
        # up moves both legs together.
        rep=RepSpec("hip_flexion.{side}", min_excursion=30, nominal_range=70, direction=-1, min_rep_s=0.6,
                    one_sided=True),
        form=(BACK_LIFTING, PELVIS_ROCKING),
        program=Dose(sets=2, reps=10),
        cues=("Both knees up at 90 degrees.", "Straighten one leg fully, bring it back, then the other.",
              "Keep your back flat on the floor."),
        source=Source(SEED_001, "#4 Lying march (with band): knees at 90°, one leg straightens and returns"),
    ),
    Exercise(
        "standing-march", "Standing march", Kind.REPS, STANDING, sides=SideMode.EACH,
        rep=RepSpec("hip_flexion.{side}", min_excursion=35, nominal_range=80, min_rep_s=0.2, max_rep_s=8,
                    pause_s=0.3, at_top=ON_THE_OTHER_LEG),
        form=(KNEE_BELOW_HIP,),
        views=(View.SIDE, View.OBLIQUE, View.FRONT),
        program=Dose(sets=2, reps=10),
        cues=("Stand tall.", "Drive one knee toward your chest, pause briefly, lower, switch."),
        source=Source(SEED_001, "#6 Standing march: knee toward the chest, brief pause"),
        tracked=("HIP", "KNEE", "ANKLE"),
    ),
    Exercise(
        "alternating-knee-to-chest", "Alternating knee-to-chest", Kind.REPS, SUPINE, sides=SideMode.EACH,
        rep=RepSpec("hip_flexion.{side}", min_excursion=40, nominal_range=90, min_rep_s=0.5, one_sided=True),
        form=(BACK_LIFTING,),
        program=Dose(sets=2, reps=10),
        cues=("Lying on your back, hug one knee to your chest, release, switch.",),
        source=Source(SEED_002, "#5 Alternating knee-to-chest"),
    ),
    Exercise(
        "plank-knee-drive", "Plank knee drive (runner's pose)", Kind.REPS, FRONT_SUPPORT, sides=SideMode.EACH,
        rep=RepSpec("hip_flexion.{side}", min_excursion=30, nominal_range=70, min_rep_s=0.35, max_rep_s=10,
                    pause_s=2.0),
        form=(replace(HIPS_SAGGING, phase="rest"),),
        program=Dose(sets=2, reps=6, hold_s=2),
        cues=("From a high plank, drive one knee toward your chest, hold 2 seconds, return, switch.",),
        source=Source(SEED_003, "#5 Front support hip flexion: knee to chest, 2 s hold, 6 per side "
                                "(also 001 #5 runner's pose)"),
    ),
    Exercise(
        "frankenstein-walk", "Frankenstein walk", Kind.REPS, STANDING, sides=SideMode.EACH,
        rep=RepSpec("hip_flexion.{side}", min_excursion=35, nominal_range=80, min_rep_s=0.4),
        form=(FormRule(WarningCode.KNEE_BENT, "Keep the lifting leg straight, kick toward the opposite hand.",
                       "knee_flexion.{side}", above=40.0, per_side=True, min_s=0.3),),
        views=(View.SIDE, View.OBLIQUE, View.FRONT),
        program=Dose(sets=2, reps=10),
        cues=("Walk forward, kicking a straight leg up toward the opposite hand.",),
        source=Source(SEED_001, "#7 Frankenstein walk: straight leg up to the opposite hand, alternating"),
        tracked=("HIP", "KNEE", "ANKLE", "WRIST"),
    ),
    Exercise(
        "glute-bridge", "Glute bridge", Kind.REPS,
        Posture(SUPINE_KNEES_BENT.name, IN_A_BRIDGE, to_enter=ON_THE_BACK),
        rep=RepSpec("hip_flexion.both", min_excursion=18, nominal_range=40, direction=-1, min_rep_s=0.8,
                    max_rep_s=20),
        form=(PELVIS_ROCKING,),
        program=Dose(sets=3, reps=10),
        cues=("Feet flat, knees bent.", "Lift your hips until shoulders, hips and knees line up; lower slowly."),
        source=Source(SEED_004, "Bridge: lift the hips, lower with control"),
        tracked=("SHOULDER", "HIP", "KNEE"),
    ),
    Exercise(
        "marching-bridge", "Marching bridge", Kind.REPS,
        # The hips up, judged on the body (the standing leg's hip open), not the trunk's tilt, which
        # follows the camera's pitch: filmed from the feet looking down, a bridge's trunk reads level.
        # Entered at the top (the hips open), which from the head end is past the lying bounds already.
        Posture("in a bridge", (*IN_A_BRIDGE, Within("hip_flexion.least_bent", -40, 35))),
        sides=SideMode.EACH,
        rep=RepSpec("hip_flexion.{side}", min_excursion=25, nominal_range=60, min_rep_s=0.5),
        form=(PELVIS_ROCKING,),
        program=Dose(sets=2, reps=8),
        cues=("Hold the bridge, lift one foot, put it down, switch; keep your hips level.",),
        source=Source(SEED_004, "Marching bridge: hold the bridge and march"),
    ),
    Exercise(
        "bird-dog", "Bird-dog", Kind.REPS, ALL_FOURS, sides=SideMode.EACH,
        rep=RepSpec("hip_flexion.{side}", min_excursion=35, nominal_range=80, direction=-1, min_rep_s=0.6),
        form=(TRUNK_ROTATING,),
        program=Dose(sets=2, reps=8),
        cues=("On hands and knees, reach one arm forward and the opposite leg back, return, switch.",),
        source=Source(SEED_004, "Bird-dog: opposite arm and leg, alternating"),
        tracked=("SHOULDER", "HIP", "KNEE", "WRIST"),
    ),
    Exercise(
        "clamshell", "Clamshell", Kind.REPS, SIDE_LYING,
        rep=RepSpec("knee_gap", min_excursion=0.5, nominal_range=1.2, min_rep_s=0.5),
        form=(FormRule(WarningCode.TRUNK_ROTATING, "Keep your hips stacked: don't roll back as the knee opens.",
                       "pelvis_vertical", below=-15.0, relative=True, min_s=0.3),),
        views=(View.FRONT, View.OBLIQUE),
        program=Dose(sets=2, reps=12),
        cues=("Lie on your side, knees bent, feet together; open the top knee, close it slowly.",),
        source=Source(SEED_004, "Clamshells"),
        tracked=("HIP", "KNEE"),
    ),
    Exercise(
        "sit-up", "Sit-up (hips and knees at 90°)", Kind.REPS, SIT_UP_POSITION,
        rep=RepSpec("trunk_incline", min_excursion=18, nominal_range=45, min_rep_s=0.6),
        program=Dose(sets=2, reps=10),
        cues=("Hips and knees at 90 degrees; curl up, lower slowly.",),
        source=Source(SEED_002, "#5 Sit-ups with hips and knees at 90°"),
        tracked=("SHOULDER", "HIP", "KNEE"),
    ),
    # ------------------------------------------------------------ reps with a hold inside each rep
    Exercise(
        "supine-knee-to-chest", "Supine knee-to-chest hold", Kind.REPS_WITH_HOLD, SUPINE, sides=SideMode.EACH,
        rep=RepSpec("hip_flexion.{side}", min_excursion=35, nominal_range=100, min_rep_s=1.0, max_rep_s=40,
                    hold_s=3.0, top_fraction=0.85, one_sided=True),
        form=(BACK_LIFTING,),
        program=Dose(sets=1, reps=10, hold_s=3, rest_s=30),
        cues=("Lie on your back.", "Pull one knee to your chest, hold 3 seconds, release.",
              "Keep your back and the other leg on the floor."),
        source=Source(SEED_000, "Supine knee-to-chest: hold 3 s, back on the floor, 10 reps per side "
                                "progressing to 4 x 15"),
    ),
    Exercise(
        "standing-psoas-activation", "Standing psoas activation", Kind.REPS_WITH_HOLD, STANDING,
        sides=SideMode.EACH,
        rep=RepSpec("hip_flexion.{side}", min_excursion=35, nominal_range=85, min_rep_s=1.0, max_rep_s=30,
                    hold_s=5.0, top_fraction=0.75, one_sided=True, at_top=ON_THE_OTHER_LEG),
        form=(KNEE_BELOW_HIP,),
        views=(View.SIDE, View.OBLIQUE, View.FRONT),
        program=Dose(sets=1, reps=4, hold_s=5, rest_s=30),
        cues=("Stand tall, lift one knee to hip level and hold it there for 5 seconds.",),
        source=Source(SEED_003, "#3 Standing 'slumpy' psoas activation: knee to hip level, 5 s hold, 4 per side"),
    ),
    # ------------------------------------------------------------ holds
    Exercise(
        "plank", "Plank", Kind.HOLD, FRONT_SUPPORT,
        # Propped on the arms (upper arms near vertical) with the body off the floor: lying face down
        # has the arms flat, and the sphinx (forearms down, hips on the floor) drops the hips below
        # the line from shoulders to ankles — neither is a plank. Hips sagging tilt the trunk up to
        # ~20-25 deg: still a plank, with a fault to warn about (HIPS_SAGGING), not a hold broken.
        # The trunk's slope is the model's, in the camera's axes: a laptop looking down reads the
        # same plank 25 deg up from the head end and 18 down from the feet end, so it is bounded
        # only as loosely as the posture's, and a sag seen from the head end (38) stays a plank.
        hold=HoldSpec((Within("body_line", -17, 60, fault=True), Within("knee_flexion.both", 0, 50),
                       Within("upper_arm_from_vertical.both", 0, 40), Within("trunk_incline", -45, 45)),
                      target_s=30),
        form=(HIPS_SAGGING, HIPS_SAGGING_TRUNK, HIPS_PIKING),
        program=Dose(sets=3, hold_s=30, reps=1, rest_s=45),
        cues=("Forearms or hands under shoulders, body in one straight line.",),
        source=Source(SEED_001, "#5 Runner's pose starts from a plank (also 003 #5 front support)"),
        tracked=("SHOULDER", "HIP", "ANKLE"),
    ),
    Exercise(
        "side-plank", "Side plank", Kind.HOLD,
        Posture("in a side plank", (Within("pelvis_vertical", 35, 90), Within("trunk_incline", -20, 60))),
        # Hips lifted off the floor: lying on the side before and after the plank meets every angle
        # limit (the trunk's incline included, which a camera at the head end tilts below 5 deg). Lying
        # reads 0.05-0.28 torso lengths, side planks 0.35-0.69 (three real sources and the rendered
        # suite); hips dipping below the lift are a sag, bridged if they come back up, lying down is not.
        hold=HoldSpec((Within("hip_lift", SIDE_PLANK_MIN_LIFT, 3.0, fault=True),
                       Within("knee_flexion.both", 0, 60)), target_s=20, grace_s=1.2, turns=("pelvis_vertical",)),
        # Relative to the height held at the start of the hold: a sag is the hips dropping back
        # toward the floor (rendered sags lose 0.1-0.2 torso lengths).
        form=(FormRule(WarningCode.HIPS_SAGGING, "Lift your hips: keep one straight line from head to feet.",
                       "hip_lift", below=-SIDE_PLANK_SAG, relative=True, phase="work", min_s=0.5),),
        views=(View.FRONT, View.OBLIQUE),
        program=Dose(sets=2, hold_s=20, reps=1, rest_s=45),
        cues=("On one forearm, feet stacked, lift your hips into a straight line.",),
        source=Source("beyond the seeds", "A common companion to the front plank"),
        tracked=("SHOULDER", "HIP", "ANKLE"),
    ),
    Exercise(
        "boat-pose", "Boat pose", Kind.HOLD, SEATED_LEANING_BACK,
        # The feet off the floor, not sitting with the knees up: that meets the hip and thigh limits
        # too, with the feet on the floor level with the hips (-0.45 to -0.05 torso lengths as read;
        # rendered boats 0.6-1.8 under every camera). Feet the camera cannot see (sitting, filmed
        # obliquely from behind the head) leave the trunk's lean to tell: sitting upright reads
        # 65-81 deg, a boat 19-61 from there (and up to 66 seen obliquely from the feet).
        hold=HoldSpec((Within("hip_flexion.both", 25, 140), Within("thigh_elevation.both", 110, 180),
                       Within("feet_height", 0.3, 3.0, unseen=Within("trunk_incline", -10, 63))), target_s=20),
        form=(FormRule(WarningCode.BACK_ROUNDING, "Lift your chest: keep your back long, don't slump.",
                       "trunk_incline", below=4.0, phase="work", min_s=0.8),),
        program=Dose(sets=3, hold_s=20, reps=1, rest_s=30),
        cues=("Sit, lean back, lift your legs (knees bent is fine) and balance; hold about 20 seconds.",),
        source=Source(SEED_001, "#3 Boat pose: hold ~20 s"),
        tracked=("SHOULDER", "HIP", "KNEE"),
    ),
    Exercise(
        "side-lying-hip-extension", "Side-lying hip extension", Kind.HOLD, SIDE_LYING, sides=SideMode.EACH,
        hold=HoldSpec((Within("hip_flexion.{side}", -60, -8),), target_s=15),
        program=Dose(sets=4, hold_s=15, reps=1, rest_s=20),
        cues=("Lying on your side, take the top leg back behind you and hold.",),
        source=Source(SEED_001, "#1 Side-lying hip extension, hold 15-20 s (003 #4: 10 s holds, 4 rounds per side)"),
    ),
    Exercise(
        "kneeling-hip-flexor-stretch", "Kneeling hip flexor stretch", Kind.HOLD, KNEELING_UPRIGHT,
        sides=SideMode.EACH,
        # The back leg's hip at (or near) the person's own end range of extension, thigh no further
        # forward than vertical, while the front leg is forward: a half-kneeling lunge.
        hold=HoldSpec((Within("hip_flexion.{side}", -60, 20), Within("hip_flexion.{other}", 45, 140, must_see=True),
                       NearOwnLimit("hip_flexion.{side}", band=6.0)), target_s=25, min_s=1.0, grace_s=0.3),
        program=Dose(sets=2, hold_s=25, reps=1, rest_s=15),
        cues=("Half-kneel, tuck your pelvis, shift forward until the front of the back hip stretches.",),
        source=Source(SEED_004, "Kneeling hip flexor stretch 20-30 s per side (also 002 lunge stretch, "
                                "001 couch stretch)"),
        views=(View.SIDE, View.OBLIQUE),
    ),
    Exercise(
        "supine-hip-flexor-stretch", "Supine hip flexor stretch", Kind.HOLD, SUPINE, sides=SideMode.EACH,
        hold=HoldSpec((Within("hip_flexion.{side}", -60, -5),), target_s=30),
        program=Dose(sets=2, hold_s=30, reps=1, rest_s=15),
        cues=("Lie at the edge of the bed, hug one knee, let the other leg hang down.",),
        source=Source(SEED_004, "Supine hip flexor stretch, leg hanging off the bed"),
    ),
    Exercise(
        "constructive-rest", "Constructive rest", Kind.HOLD, SUPINE_KNEES_BENT,
        hold=HoldSpec((Within("knee_flexion.both", 50, 180),), target_s=300, grace_s=2.0),
        program=Dose(sets=1, hold_s=300, reps=1),
        cues=("Lie on your back, knees bent, feet flat; let your back settle and breathe.",),
        source=Source(SEED_004, "Constructive rest: lying with knees bent"),
    ),
    Exercise(
        "standing-glute-contraction", "Standing glute contraction", Kind.TIMER, STANDING,
        hold=HoldSpec((), target_s=10, grace_s=1.0),
        views=(View.SIDE, View.OBLIQUE, View.FRONT),
        program=Dose(sets=4, hold_s=10, reps=1, rest_s=10),
        cues=("Stand tall and squeeze your glutes for 10 seconds.",
              "A camera cannot see a muscle squeeze: posecoach only times you while you stand."),
        source=Source(SEED_003, "#1 Standing glute contraction, 10 s x 4"),
    ),
)

CATALOG: dict[str, Exercise] = {exercise.slug: exercise for exercise in EXERCISES}


def get_exercise(slug: str) -> Exercise:
    """The catalogue entry for ``slug``; an unknown slug lists the valid ones."""
    try:
        return CATALOG[slug]
    except KeyError:
        raise UnknownExerciseError(slug, list(CATALOG)) from None
