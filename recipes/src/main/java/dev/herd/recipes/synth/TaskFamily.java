package dev.herd.recipes.synth;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The demo's built-in task family, generated from a seed: arithmetic word problems of one or two steps
 * (verified numerically) and format instructions ("answer in upper case", verified exactly; held-out ones
 * combine a fact, a phrasing and a letter case the training data has only seen apart). Small enough for a
 * tiny model to make progress on, and every answer is checkable without a model.
 */
public final class TaskFamily {

    private static final List<String> NAMES = List.of("Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo");
    private static final List<String> ITEMS = List.of("apple", "book", "coin", "pen", "shell", "stamp", "card", "marble");
    /** Questions with one-word answers, for the format tasks. */
    private static final List<String[]> FACTS = List.of(
            new String[] {"What colour is grass?", "green"}, new String[] {"What colour is the sky on a clear day?", "blue"},
            new String[] {"What colour is snow?", "white"}, new String[] {"What animal says moo?", "cow"},
            new String[] {"What animal barks?", "dog"}, new String[] {"What is frozen water called?", "ice"},
            new String[] {"What do bees make?", "honey"}, new String[] {"What star does the Earth orbit?", "sun"},
            new String[] {"What colour is coal?", "black"}, new String[] {"What animal says meow?", "cat"},
            new String[] {"What do cows give?", "milk"}, new String[] {"What falls from rain clouds?", "water"},
            new String[] {"What shines in the night sky?", "moon"}, new String[] {"What fruit is yellow and curved?", "banana"},
            new String[] {"What do you sit on?", "chair"}, new String[] {"What colour is a ripe tomato?", "red"});
    /** How a format task opens; with the facts and cases, enough distinct questions to hold some out. */
    private static final List<String> LEADS = List.of("Answer", "Reply", "Respond", "Please answer");
    /** Letter cases a format task asks for: what the instruction says, and how the answer is written. */
    private static final List<String> CASES = List.of("upper case", "lower case", "title case");

    private final SplittableRandom random;

    public TaskFamily(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The next task: arithmetic or a format instruction, one half each. */
    public SynthTask next() {
        return random.nextBoolean() ? arithmetic() : format();
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

    SynthTask format() {
        String[] f = FACTS.get(random.nextInt(FACTS.size()));
        String lead = LEADS.get(random.nextInt(LEADS.size()));
        String letterCase = CASES.get(random.nextInt(CASES.size()));
        String word = inCase(f[1], letterCase);
        return new SynthTask(lead + " in " + letterCase + ", with one word: " + f[0], word, "exact", word, "format", 1);
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
        String other;
        do {
            other = inCase(FACTS.get(random.nextInt(FACTS.size()))[1], letterCase);
        } while (other.equals(t.answer()));
        return new String[] {other, "significantly better"};
    }

    /** A right but terse response, which an annotator edits into the reference; null where none differs. */
    public String rough(SynthTask t) {
        return t.family().equals("arithmetic") ? "It is " + t.answer() + "." : null;
    }
}
