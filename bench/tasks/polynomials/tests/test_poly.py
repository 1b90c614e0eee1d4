from polyarith import add, degree, derivative, evaluate, format_poly, multiply, scale, subtract, trim


def test_trim_and_degree():
    assert trim([1, 2, 0, 0]) == [1, 2]
    assert degree([5, 0, 3, 0]) == 2
    assert degree([0, 0]) == -1


def test_evaluate_with_horner():
    assert evaluate([1, -3, 2], 3) == 10
    assert evaluate([], 7) == 0


def test_format():
    assert format_poly([1, -1, 3]) == "3x^2 - x + 1"
    assert format_poly([0, 0, -2.5]) == "-2.5x^2"
    assert format_poly([]) == "0"


def test_add_same_degree():
    assert add([1, 2, 3], [4, 5, -3]) == [5, 7]


def test_add_different_degrees():
    assert add([1, 1], [0, 0, 0, 2]) == [1, 1, 0, 2]
    assert add([5, 0, 1], [1]) == [6, 0, 1]


def test_add_many():
    assert add([1], [0, 1], [0, 0, 1]) == [1, 1, 1]
    assert add() == []


def test_subtract_and_scale():
    assert subtract([1, 2], [1, 2, 3]) == [0, 0, -3]
    assert scale([1, 2], 0) == []


def test_multiply():
    assert multiply([1, 1], [-1, 1]) == [-1, 0, 1]
    assert multiply([2], []) == []


def test_derivative_of_product_rule():
    p, q = [1, 2], [0, 1, 1]
    left = derivative(multiply(p, q))
    right = add(multiply(derivative(p), q), multiply(p, derivative(q)))
    assert left == right == [1, 6, 6]
