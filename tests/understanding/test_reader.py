"""The reader on its own: context, folding, other scripts, the length cap. Pure, no I/O."""

from __future__ import annotations

from bot.catalog.catalog import Catalog
from bot.understanding import MAX_CHARS, Lexicon, compile_lexicon, read
from bot.understanding.text import tokens


def test_negation_uncertainty_and_other_people(catalog: Catalog) -> None:
    lex = catalog.lexicon("en")
    assert read("no swelling, no chest pain", lex).signs == ()
    assert read("I don't have chest pain but my calf is swollen", lex).signs == ("clot_leg",)
    assert read("could it be a blood clot?", lex).signs == ("clot_leg",)
    assert read("my dad had a DVT", lex).signs == ()
    assert read("my husband says my calf is swollen", lex).signs == ("clot_leg",)
    assert read("what should I do if it swells?", lex).signs == ()
    assert read("I had a DVT 3 years ago", lex).signs == ()


def test_vague_words_are_asked_about_not_guessed(catalog: Catalog) -> None:
    reading = read("my calf is sore and a bit puffy", catalog.lexicon("en"))
    assert (reading.signs, reading.hints) == ((), ("clot_leg",))


def test_typos_run_together_words_accents_and_full_width_letters(catalog: Catalog) -> None:
    lex = catalog.lexicon("en")
    assert read("swolen calf", lex).signs == ("clot_leg",)
    assert read("chestpain", lex).signs == ("clot_breathless",)
    assert read("Swöllen CALF", lex).signs == ("clot_leg",)
    assert read("\uff33\uff37\uff2f\uff2c\uff2c\uff25\uff2e calf", lex).signs == ("clot_leg",)
    # A thumb that skipped the space bar for a whole sentence.
    assert read("mycalfisallswollenandredandithurts", lex).signs == ("clot_leg",)
    assert read("cantweeatall since yesterday", lex).signs == ("cauda_equina",)


def test_resolved_since_reaches_back_only_to_what_it_is_about(catalog: Catalog) -> None:
    """ "..., but it's back to normal" clears what came before it in the sentence; a
    sentence that says something else is fine now must not clear a warning sign."""
    lex = catalog.lexicon("en")
    assert (
        read("my foot felt tingly when I sat crosslegged but it's back to normal", lex).signs == ()
    )
    assert read("my calf was hot and swollen but it went down overnight", lex).signs == ()
    for still in (
        "my calf is swollen and red, my breathing is fine now",
        "my calf is red and swollen but my knee is back to normal",
        "my calf is swollen and hot, the cramp went down overnight",
        "my calf is swollen and it hurts, the pain was fine since then",
        "my calf is swollen and hot, the cramp went away within a day",
        "my calf is swollen and warm, the cramp lets go in 20 seconds",
    ):
        assert "clot_leg" in read(still, lex).signs, still


def test_ages_durations_and_times(catalog: Catalog) -> None:
    lex = catalog.lexicon("en")
    assert read("I'm 15, is that ok?", lex).ages() == (15,)
    assert read("42 years old", lex).ages() == (42,)
    assert read("cramp for 20 minutes that will not go", lex).signs == ("long_cramp",)
    assert read("after sitting for 9 hours", lex).signs == ()
    assert read("i go running 3 times a week", lex).numbers("per_week") == (3.0,)
    assert read("7pm", lex).numbers("clock") == (19 * 60,)


def test_a_locale_in_another_script_matches_its_own_lexicon() -> None:
    greek = compile_lexicon(
        Lexicon.model_validate(
            {
                "locale": "el",
                "concepts": {
                    "swollen": {"phrases": ["πρησμένη", "πρήξιμο"]},
                    "calf": {"kind": "site", "phrases": ["γάμπα"]},
                },
                "context": [{"phrases": ["δεν", "όχι"], "category": "negated"}],
                "signs": {"clot_leg": [{"findings": [["swollen"]], "sites": ["calf"]}]},
            }
        )
    )
    assert read("η γάμπα μου είναι πρησμένη", greek).signs == ("clot_leg",)
    assert read("η ΓΆΜΠΑ μου είναι ΠΡΗΣΜΈΝΗ", greek).signs == ("clot_leg",)
    assert read("η γάμπα μου δεν είναι πρησμένη", greek).signs == ()


def test_only_the_first_thousand_characters_are_read(catalog: Catalog) -> None:
    huge = "my knee hurts " * 100_000
    assert len(tokens(huge)) <= MAX_CHARS
    reading = read(huge + " my calf is swollen", catalog.lexicon("en"))
    assert reading.signs == ()  # past the cap: not read at all (bench.understanding times it)


def test_a_wrong_nearest_site_with_a_right_one_in_the_sentence_is_asked_about(
    catalog: Catalog,
) -> None:
    """Which part is swollen is unclear: one yes/no question, not a guess either way."""
    reading = read(
        "calf hurts when I pull my toes towards me and it's swollen", catalog.lexicon("en")
    )
    assert "clot_leg" in reading.signs + reading.hints


def test_pictures_contractions_and_nouns_that_end_no_clause(catalog: Catalog) -> None:
    lex = catalog.lexicon("en")
    assert read("🚽 brown!!", lex).signs == ("dark_urine",)  # a toilet picture
    assert read("since the fall walking's hard work", lex).hints == ("cant_bear_weight",)
    # "a while" is a noun, not "while" turning the sentence: the past stays the past.
    assert read("my foot went numb for a while after my hip op in 2012", lex).signs == ()


def test_another_persons_story_stays_theirs_and_the_users_own_does_not(catalog: Catalog) -> None:
    lex = catalog.lexicon("en")
    for theirs in (
        "my partner is the one who gets short of breath, he's had asthma since he was a kid",
        "my mum is 70 and she's the one with the swollen ankles, not me",
        "my husband fell off the ladder in the spring and was on crutches for weeks",
        "I watched a film last night where someone coughed up blood",
        "9am. And if my calf ever swells up, should I tell you?",
    ):
        assert read(theirs, lex).signs == (), theirs
    for mine in (
        "my husband had to carry me upstairs to bed after the fall",
        "my daughter measured both calves and the left is 3cm bigger",
        "got a dead leg off someone's knee and the thigh is swelling, rock solid, pain unbearable",
    ):
        reading = read(mine, lex)
        assert reading.signs + reading.hints, mine
