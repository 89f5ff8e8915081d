package dev.herd.recipes.synth;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The demo's built-in task family, generated from a seed: arithmetic word problems of one or two steps
 * (verified numerically) and format instructions ("Answer in upper case, with one word: What colour is a lemon:
 * blue, yellow, red or white?", verified exactly; held-out ones combine a fact, a phrasing and a letter case the training data has
 * only seen apart). The human-written part ({@link #nextSeed()}) knows one fact in six; the rest can only
 * be learnt through the verifier. Small enough for a tiny model to make progress on, and every answer is
 * checkable without a model.
 */
final class TaskFamily {

    private static final List<String> NAMES = List.of("Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo");
    private static final List<String> ITEMS = List.of("apple", "book", "coin", "pen", "shell", "stamp", "card", "marble");
    /**
     * Questions with one-word answers, for the format tasks: six colours, six things of each. The human-written
     * data (seed SFT, annotator rankings) covers only the first {@link #SEED_PER_ANSWER} things of each colour;
     * prompts and the held-out set ask about all of them, so what the model learns about the rest it learns
     * from its own answers that the verifier accepted — the reason rejection sampling exists.
     */
    static final List<String[]> FACTS = List.of(
            new String[] {"What colour is a tomato?", "red"}, new String[] {"What colour is a ripe strawberry?", "red"},
            new String[] {"What colour is a cherry?", "red"}, new String[] {"What colour is a ruby?", "red"},
            new String[] {"What colour is a fire engine?", "red"}, new String[] {"What colour is a ladybird?", "red"},
            new String[] {"What colour is grass?", "green"}, new String[] {"What colour is a frog?", "green"},
            new String[] {"What colour is a lime?", "green"}, new String[] {"What colour is a cucumber?", "green"},
            new String[] {"What colour is a pea?", "green"}, new String[] {"What colour is an emerald?", "green"},
            new String[] {"What colour is the sky on a clear day?", "blue"}, new String[] {"What colour is the sea?", "blue"},
            new String[] {"What colour is a sapphire?", "blue"}, new String[] {"What colour is a blueberry?", "blue"},
            new String[] {"What colour is a bluebell?", "blue"}, new String[] {"What colour is denim?", "blue"},
            new String[] {"What colour is a lemon?", "yellow"}, new String[] {"What colour is a ripe banana?", "yellow"},
            new String[] {"What colour is a sunflower?", "yellow"}, new String[] {"What colour is butter?", "yellow"},
            new String[] {"What colour is a canary?", "yellow"}, new String[] {"What colour is an egg yolk?", "yellow"},
            new String[] {"What colour is snow?", "white"}, new String[] {"What colour is milk?", "white"},
            new String[] {"What colour is a swan?", "white"}, new String[] {"What colour is salt?", "white"},
            new String[] {"What colour is a cloud?", "white"}, new String[] {"What colour is sugar?", "white"},
            new String[] {"What colour is coal?", "black"}, new String[] {"What colour is a crow?", "black"},
            new String[] {"What colour is ink?", "black"}, new String[] {"What colour is tar?", "black"},
            new String[] {"What colour is a raven?", "black"}, new String[] {"What colour is soot?", "black"});
    /** The colours, in {@link #FACTS}' order. */
    static final List<String> COLOURS = List.of("red", "green", "blue", "yellow", "white", "black");
    /** How many colours a format question offers to choose from. */
    static final int OPTIONS = 4;
    /** Facts per colour in {@link #FACTS}, and how many of each the human-written data covers. */
    static final int PER_ANSWER = 6;
    static final int SEED_PER_ANSWER = 1;
    /** How a format task opens; with the facts and cases, enough distinct questions to hold some out. */
    private static final List<String> LEADS = List.of("Answer", "Reply", "Respond", "Please answer");
    /** Letter cases a format task asks for: what the instruction says, and how the answer is written. */
    private static final List<String> CASES = List.of("upper case", "lower case", "title case");

    private final SplittableRandom random;

    public TaskFamily(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The next task from the whole family: arithmetic one time in three, else a format instruction. */
    public SynthTask next() {
        return random.nextInt(3) == 0 ? arithmetic() : format(false);
    }

    /** The next task of the part the human-written data covers: format tasks only about the seed facts. */
    public SynthTask nextSeed() {
        return random.nextInt(3) == 0 ? arithmetic() : format(true);
    }

    /** Whether a format question's fact is one the human-written data covers. */
    static boolean seedFact(int factIndex) {
        return factIndex % PER_ANSWER < SEED_PER_ANSWER;
    }

    SynthTask arithmetic() {
        String name = NAMES.get(random.nextInt(NAMES.size()));
        String item = ITEMS.get(random.nextInt(ITEMS.size()));
        int a = 2 + random.nextInt(18);
        int b = 1 + random.nextInt(9);
        switch (random.nextInt(4)) {
            case 0:
                return new SynthTask(String.format("%s has %d %ss and buys %d more. How many %ss does %s have now?", name, a, item, b,
                        item, name), String.valueOf(a + b), "numeric", String.format("%d + %d = %d. The answer is %d.", a, b, a + b, a + b),
                        "arithmetic", 1);
            case 1: {
                int c = Math.min(a, b);
                int d = Math.max(a, b);
                return new SynthTask(String.format("%s has %d %ss and gives %d away. How many %ss are left?", name, d, item, c, item),
                        String.valueOf(d - c), "numeric", String.format("%d - %d = %d. The answer is %d.", d, c, d - c, d - c),
                        "arithmetic", 1);
            }
            case 2: {
                int boxes = 2 + random.nextInt(4);
                return new SynthTask(String.format("%s has %d boxes with %d %ss in each. How many %ss is that?", name, boxes, b, item,
                        item), String.valueOf(boxes * b), "numeric",
                        String.format("%d x %d = %d. The answer is %d.", boxes, b, boxes * b, boxes * b), "arithmetic", 1);
            }
            default: {
                int c = 1 + random.nextInt(a + b - 1);
                int r = a + b - c;
                return new SynthTask(String.format("%s has %d %ss, buys %d more and then gives %d away. How many %ss does %s have?",
                        name, a, item, b, c, item, name), String.valueOf(r), "numeric",
                        String.format("%d + %d = %d, and %d - %d = %d. The answer is %d.", a, b, a + b, a + b, c, r, r),
                        "arithmetic", 2);
            }
        }
    }

    SynthTask format(boolean seedOnly) {
        int i;
        do {
            i = random.nextInt(FACTS.size());
        } while (seedOnly && !seedFact(i));
        String[] f = FACTS.get(i);
        String lead = LEADS.get(random.nextInt(LEADS.size()));
        String letterCase = CASES.get(random.nextInt(CASES.size()));
        String word = inCase(f[1], letterCase);
        // The right colour among OPTIONS - 1 others, in a random order: a model that has not learnt a thing's colour
        // still answers with one of the options, so its samples explore them and the verifier can reward the right one.
        List<String> options = new java.util.ArrayList<>(List.of(f[1]));
        while (options.size() < OPTIONS) {
            String c = COLOURS.get(random.nextInt(COLOURS.size()));
            if (!options.contains(c)) {
                options.add(c);
            }
        }
        for (int k = options.size() - 1; k > 0; k--) {
            java.util.Collections.swap(options, k, random.nextInt(k + 1));
        }
        String question = f[0].substring(0, f[0].length() - 1) + ": " + String.join(", ", options.subList(0, OPTIONS - 1))
                + " or " + options.get(OPTIONS - 1) + "?";
        return new SynthTask(lead + " in " + letterCase + ", with one word: " + question, word, "exact", word, "format", 1);
    }

    private static String inCase(String word, String letterCase) {
        return switch (letterCase) {
            case "upper case" -> word.toUpperCase(Locale.ROOT);
            case "lower case" -> word.toLowerCase(Locale.ROOT);
            default -> word.substring(0, 1).toUpperCase(Locale.ROOT) + word.substring(1);
        };
    }

    /** The letter case a format question asks for. */
    private static String caseOf(String question) {
        return CASES.stream().filter(c -> question.contains(" in " + c + ",")).findFirst().orElseThrow();
    }

    /**
     * A wrong response to {@code t} and how far off it is: a miscounted number for arithmetic (off by 1–10), the
     * right word in the wrong case or a wrong word for format tasks.
     *
     * @return {response, strength label}
     */
    public String[] wrong(SynthTask t) {
        if (t.family().equals("arithmetic")) {
            int right = Integer.parseInt(t.answer());
            int off = 1 + random.nextInt(10);
            int wrong = random.nextBoolean() || right - off < 0 ? right + off : right - off;
            String strength = off >= 5 ? "significantly better" : off >= 2 ? "better" : "slightly better";
            return new String[] {"The answer is " + wrong + ".", strength};
        }
        String letterCase = caseOf(t.question());
        if (random.nextBoolean()) {
            // The right word in another case.
            List<String> others = CASES.stream().filter(c -> !c.equals(letterCase)).toList();
            return new String[] {inCase(t.answer().toLowerCase(Locale.ROOT), others.get(random.nextInt(others.size()))), "better"};
        }
        // Another of the offered colours, in the right case.
        String list = t.question().substring(t.question().lastIndexOf(": ") + 2, t.question().length() - 1);
        List<String> offered = java.util.Arrays.stream(list.split(", | or "))
                .filter(c -> !c.equals(t.answer().toLowerCase(Locale.ROOT))).toList();
        return new String[] {inCase(offered.get(random.nextInt(offered.size())), letterCase), "significantly better"};
    }

    /** A right but terse response, which an annotator edits into the reference; null where none differs. */
    public String rough(SynthTask t) {
        return t.family().equals("arithmetic") ? "It is " + t.answer() + "." : null;
    }
}
